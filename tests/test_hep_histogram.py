"""Tests for svenfit.hep.histogram.BinnedData."""

from __future__ import annotations

import boost_histogram as bh
import hist
import numpy as np
import pytest
import uproot

from svenfit.hep.histogram import BinnedData
from svenfit.hep.io import zmumu_masses

EDGES = np.array([0.0, 1.0, 2.0, 3.0])


@pytest.fixture(scope="module")
def sample():
    """A fixed Gaussian sample with positive weights."""
    rng = np.random.default_rng(20100330)
    return rng.normal(size=2000), rng.uniform(0.5, 2.0, size=2000)


# --- construction and properties ---------------------------------------------


def test_from_numpy_and_properties(sample):
    values, _ = sample
    data = BinnedData.from_numpy(np.histogram(values, bins=8, range=(-2, 2)), name="x")
    counts, edges = np.histogram(values, bins=8, range=(-2, 2))
    assert data.counts.dtype == data.edges.dtype == np.float64
    np.testing.assert_array_equal(data.counts, counts)
    np.testing.assert_array_equal(data.edges, edges)
    np.testing.assert_allclose(data.centers, np.linspace(-1.75, 1.75, 8))
    np.testing.assert_allclose(data.widths, 0.5)
    assert (data.n_bins, data.total, data.name) == (8, counts.sum(), "x")
    assert data.variances is None and not data.is_weighted
    np.testing.assert_array_equal(data.effective_variances, data.counts)


def test_arrays_are_read_only_copies():
    counts = np.array([1.0, 2.0, 3.0])
    data = BinnedData(EDGES, counts)
    counts[0] = 99.0
    assert data.counts[0] == 1.0
    with pytest.raises(ValueError, match="read-only"):
        data.counts[0] = 5.0


def test_variances_mark_weighted_unless_equal_to_counts():
    weighted = BinnedData.from_numpy(([1.0, 2.0, 3.0], EDGES), variances=[2.0, 2.0, 5.0])
    assert weighted.is_weighted
    np.testing.assert_array_equal(weighted.effective_variances, [2.0, 2.0, 5.0])
    poisson = BinnedData(EDGES, [1, 2, 3], variances=[1, 2, 3])
    assert poisson.variances is None and not poisson.is_weighted


# --- validation ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("edges", "counts", "variances", "message"),
    [
        (EDGES, [0, 0, 0], None, "histogram is empty: all 3 bin counts are zero"),
        (EDGES, [1, -2, 3], None, r"negative counts: bin 1 \[1, 2\): -2"),
        (EDGES, [1, np.nan, np.inf], None, r"non-finite counts: bin 1 \[1, 2\): nan; bin 2"),
        (EDGES, [1, 2, 3], [1, np.nan, 3], r"non-finite variances: bin 1 \[1, 2\): nan"),
        (EDGES, [1, 2, 3], [1, -1, 3], r"negative variances: bin 1 \[1, 2\): -1"),
        (EDGES, [1, 2], None, "counts has 2 entries but 4 edges define 3 bins"),
        (EDGES, [1, 2, 3], [1, 2], "variances has 2 entries but 4 edges define 3 bins"),
        ([0, 1, 1, 3], [1, 2, 3], None, r"strictly increasing: edges\[1\]=1 >= edges\[2\]=1"),
        ([0, 2, 1, 3], [1, 2, 3], None, r"strictly increasing: edges\[1\]=2 >= edges\[2\]=1"),
        ([0, 1, np.inf], [1, 2], None, r"finite; non-finite at indices \[2\]"),
        ([0.0], [], None, "at least 2 bin edges"),
        (EDGES, [[1, 2, 3]], None, r"counts must be 1-D, got shape \(1, 3\)"),
    ],
)
def test_validation_names_the_problem(edges, counts, variances, message):
    with pytest.raises(ValueError, match=message):
        BinnedData(edges, counts, variances)


def test_offending_bins_are_truncated():
    counts = -np.ones(25)
    with pytest.raises(ValueError, match=r"bin 9 \[9, 10\): -1; \.\.\. \(15 more\)"):
        BinnedData(np.arange(26.0), counts)


# --- UHI histograms --------------------------------------------------------------


@pytest.mark.parametrize("storage", [hist.storage.Int64(), hist.storage.Double()])
def test_from_hist_unweighted(sample, storage):
    values, _ = sample
    h = hist.Hist(hist.axis.Regular(12, -3, 3), storage=storage).fill(values)
    data = BinnedData.from_uhi(h, name="gauss")
    np.testing.assert_array_equal(data.counts, h.values())
    np.testing.assert_allclose(data.edges, h.axes[0].edges)
    assert data.variances is None and data.name == "gauss"
    assert data.total == np.count_nonzero(np.abs(values) < 3)  # flow bins dropped


def test_from_hist_weight_storage(sample):
    values, weights = sample
    h = hist.Hist.new.Reg(12, -3, 3).Weight().fill(values, weight=weights)
    data = BinnedData.from_uhi(h)
    assert data.is_weighted
    np.testing.assert_allclose(data.counts, h.values())
    np.testing.assert_allclose(data.variances, h.variances())


def test_from_hist_weighted_fill_without_variances_is_refused(sample):
    values, weights = sample
    h = hist.Hist.new.Reg(12, -3, 3).Double().fill(values, weight=weights)
    with pytest.raises(ValueError, match="no variances.*use Weight"):
        BinnedData.from_uhi(h)


def test_from_boost_histogram_variable_axis():
    h = bh.Histogram(bh.axis.Variable([0.0, 1.0, 3.0, 6.0]))
    h.fill([0.5, 2.0, 2.5, 5.0, 7.0])
    data = BinnedData.from_uhi(h)
    np.testing.assert_array_equal(data.edges, [0.0, 1.0, 3.0, 6.0])
    np.testing.assert_array_equal(data.counts, [1.0, 2.0, 1.0])
    assert not data.is_weighted


def test_from_uproot_th1(tmp_path, sample):
    values, weights = sample
    path = tmp_path / "hists.root"
    with uproot.recreate(path) as file:
        file["plain"] = np.histogram(values, bins=10, range=(-3, 3))
        file["weighted"] = hist.Hist.new.Reg(10, -3, 3).Weight().fill(values, weight=weights)
    with uproot.open(path) as file:
        plain, weighted = file["plain"], file["weighted"]
        assert plain.classname == weighted.classname == "TH1D"
        from_plain, from_weighted = BinnedData.from_uhi(plain), BinnedData.from_uhi(weighted)
    counts, edges = np.histogram(values, bins=10, range=(-3, 3))
    np.testing.assert_array_equal(from_plain.counts, counts)
    np.testing.assert_allclose(from_plain.edges, edges)
    assert from_plain.variances is None
    weighted_counts, _ = np.histogram(values, edges, weights=weights)
    np.testing.assert_allclose(from_weighted.counts, weighted_counts)
    sumw2, _ = np.histogram(values, edges, weights=weights**2)
    np.testing.assert_allclose(from_weighted.variances, sumw2)


@pytest.mark.parametrize(
    ("histogram", "error", "message"),
    [
        (hist.Hist.new.Reg(3, 0, 1).Mean().fill([0.5], sample=[2.0]), ValueError, "kind MEAN"),
        (hist.Hist.new.Reg(2, 0, 1).Reg(2, 0, 1).Int64().fill([0.5], [0.5]), ValueError, "2 axes"),
        (hist.Hist.new.StrCat(["a", "b"]).Int64().fill(["a"]), ValueError, "discrete"),
        (np.histogram([1.0, 2.0]), TypeError, r"tuple does not implement the UHI.*'kind'"),
    ],
)
def test_from_uhi_rejects_unsuitable_objects(histogram, error, message):
    with pytest.raises(error, match=message):
        BinnedData.from_uhi(histogram)


# --- unbinned values ---------------------------------------------------------------


def test_from_values_unweighted_and_weighted(sample):
    values, weights = sample
    counts, edges = np.histogram(values, bins=20, range=(-2, 2))
    unweighted = BinnedData.from_values(values, 20, (-2, 2))
    np.testing.assert_array_equal(unweighted.counts, counts)
    np.testing.assert_array_equal(unweighted.edges, edges)
    assert not unweighted.is_weighted
    weighted = BinnedData.from_values(values, edges, weights=weights, name="w")
    np.testing.assert_allclose(weighted.counts, np.histogram(values, edges, weights=weights)[0])
    sumw2, _ = np.histogram(values, edges, weights=weights**2)
    np.testing.assert_allclose(weighted.variances, sumw2)
    assert weighted.is_weighted and weighted.name == "w"


@pytest.mark.parametrize(
    ("values", "weights", "message"),
    [
        ([1.0, np.nan, np.inf], None, "values must be finite; 2 of 3 are not"),
        ([1.0, 2.0], [1.0, np.nan], "weights must be finite; 1 of 2 are not"),
        ([1.0, 2.0], [1.0], r"weights have shape \(1,\) but values have shape \(2,\)"),
        ([5.0, 6.0], None, "histogram is empty"),
    ],
)
def test_from_values_errors(values, weights, message):
    with pytest.raises(ValueError, match=message):
        BinnedData.from_values(values, 4, (0, 4), weights=weights)


def test_zmumu_window_histogram():
    masses = zmumu_masses()
    data = BinnedData.from_values(masses, 30, (60, 120), name="m_mumu")
    assert data.total == np.count_nonzero((masses >= 60) & (masses <= 120)) == 495
    assert 88 < data.centers[np.argmax(data.counts)] < 94  # the Z peak


# --- restrict -----------------------------------------------------------------------


def test_restrict_keeps_bins_fully_inside():
    data = BinnedData(np.arange(6.0), [1, 2, 3, 4, 5], [1, 4, 3, 4, 5], name="r")
    inner = data.restrict(0.5, 4.0)
    np.testing.assert_array_equal(inner.edges, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(inner.counts, [2.0, 3.0, 4.0])
    np.testing.assert_array_equal(inner.variances, [4.0, 3.0, 4.0])
    assert inner.name == "r"
    assert data.restrict(2.0, 5.0).variances is None  # remaining variances equal counts


def test_restrict_tolerates_rounded_edges():
    data = BinnedData(np.arange(11) * 0.1, np.ones(10))
    assert data.edges[7] > 0.7  # 0.7000000000000001
    assert data.restrict(0.3, 0.7).n_bins == 4


@pytest.mark.parametrize(
    ("lo", "hi", "message"),
    [
        (2.0, 1.0, "need lo < hi"),
        (1.2, 1.8, r"no bin lies fully inside \[1.2, 1.8\]; edges span \[0, 3\]"),
    ],
)
def test_restrict_errors(lo, hi, message):
    with pytest.raises(ValueError, match=message):
        BinnedData(EDGES, [1, 2, 3]).restrict(lo, hi)


def test_restrict_to_empty_bins_is_refused():
    with pytest.raises(ValueError, match="histogram is empty"):
        BinnedData(EDGES, [1, 0, 0]).restrict(1.0, 3.0)
