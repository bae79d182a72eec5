"""Tests for svenfit.hep.io on the bundled CMS Z->mumu file and small temporary files."""

from __future__ import annotations

import hashlib

import awkward as ak
import numpy as np
import pytest
import uproot

from svenfit.hep.io import (
    data_dir,
    data_file,
    invariant_mass,
    read_tree,
    unique_events,
    zmumu_masses,
)

ZMUMU_SHA256 = "8290ddc1f2b1f866f30df016558936da27107f7f5b87e574c741f2baab1bad64"
ZMUMU_ROWS = 2304
ZMUMU_EVENTS = 500
MOMENTA = ["px1", "py1", "pz1", "E1", "px2", "py2", "pz2", "E2"]
TYPE_ORDER = ["GG", "GT", "TT"]


@pytest.fixture(scope="module")
def zmumu():
    """Path of the bundled file."""
    return data_file()


@pytest.fixture(scope="module")
def rows(zmumu):
    """All rows of the bundled tree, as NumPy arrays."""
    return read_tree(zmumu, "events", ["Run", "Event", "Type", "Q1", "Q2", "M", *MOMENTA])


@pytest.fixture
def small_file(tmp_path):
    """A ROOT file holding a TTree ``t`` and a TH1D ``h``."""
    path = tmp_path / "small.root"
    with uproot.recreate(path) as file:
        file.mktree("t", {"x": np.float64, "n": np.int32})
        file["t"].extend({"x": np.arange(10.0), "n": np.arange(10, dtype=np.int32)})
        file["h"] = np.histogram(np.arange(10.0), bins=5)
    return path


# --- bundled data -----------------------------------------------------------


def test_bundled_file_is_the_documented_one(zmumu):
    assert zmumu == data_dir() / "uproot-Zmumu.root"
    assert hashlib.sha256(zmumu.read_bytes()).hexdigest() == ZMUMU_SHA256


def test_data_file_missing_explains():
    with pytest.raises(FileNotFoundError, match=r"'absent\.root' not found .*pip install -e"):
        data_file("absent.root")


# --- read_tree ----------------------------------------------------------------


def test_read_tree_expressions_cut_and_aliases(zmumu, rows):
    selected = read_tree(
        zmumu, "events", ["M", "px1 + px2", "pt"], "(M > 60) & (pt > 20)", aliases={"pt": "pt1"}
    )
    assert list(selected) == ["M", "px1 + px2", "pt"]
    expected = (rows["M"] > 60) & (np.hypot(rows["px1"], rows["py1"]) > 20)
    assert 0 < len(selected["M"]) == expected.sum() < ZMUMU_ROWS
    np.testing.assert_array_equal(selected["M"], rows["M"][expected])
    np.testing.assert_allclose(selected["px1 + px2"], (rows["px1"] + rows["px2"])[expected])


def test_read_tree_single_expression_and_awkward(zmumu):
    numpy_arrays = read_tree(zmumu, "events", "M")
    awkward_arrays = read_tree(zmumu, "events", "M", library="ak")
    assert isinstance(numpy_arrays["M"], np.ndarray)
    assert isinstance(awkward_arrays["M"], ak.Array)
    np.testing.assert_array_equal(ak.to_numpy(awkward_arrays["M"]), numpy_arrays["M"])
    assert len(numpy_arrays["M"]) == ZMUMU_ROWS


def test_read_tree_missing_file_lists_root_files(small_file):
    (small_file.parent / "other.root").write_bytes(b"")
    with pytest.raises(FileNotFoundError, match=r"typo\.root .*other\.root, small\.root"):
        read_tree(small_file.parent / "typo.root", "t", "x")


def test_read_tree_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_tree(tmp_path / "nowhere" / "f.root", "t", "x")


def test_read_tree_missing_tree_lists_keys_with_classnames(small_file):
    with pytest.raises(KeyError, match=r"no tree 'tree'.*t;1 \(TTree\), h;1 \(TH1D\)"):
        read_tree(small_file, "tree", "x")


def test_read_tree_rejects_non_tree(small_file):
    with pytest.raises(TypeError, match=r"'h' .* is a TH1D, not a TTree.*t;1 \(TTree\)"):
        read_tree(small_file, "h", "x")


@pytest.mark.parametrize(
    ("expressions", "cut", "unknown"),
    [(["x", "y"], None, "y"), (["x + z"], None, "z"), (["x"], "w > 1", "w")],
)
def test_read_tree_unknown_name_lists_branches(small_file, expressions, cut, unknown):
    with pytest.raises(KeyError, match=rf"unknown name '{unknown}'.*branches: x, n"):
        read_tree(small_file, "t", expressions, cut)


def test_read_tree_empty_selection_reports_entries(zmumu):
    message = rf"cut 'M > 1000' selects no entries.*\({ZMUMU_ROWS} entries before the cut\)"
    with pytest.raises(ValueError, match=message):
        read_tree(zmumu, "events", "M", "M > 1000")


@pytest.mark.parametrize(("expressions", "library"), [([], "np"), ("x", "pd")])
def test_read_tree_rejects_bad_requests(small_file, expressions, library):
    with pytest.raises(ValueError):
        read_tree(small_file, "t", expressions, library=library)


# --- unique_events ------------------------------------------------------------


def test_unique_events_on_real_data(rows):
    events = unique_events(rows, keys=("Run", "Event"), prefer=("Type", TYPE_ORDER))
    pairs = set(zip(events["Run"].tolist(), events["Event"].tolist()))
    assert len(events["M"]) == len(pairs) == ZMUMU_EVENTS
    assert set(events["Type"]) == {"GG"}  # every event has a global-global pair
    assert set(events) == set(rows)


def test_unique_events_preference_then_first_row():
    arrays = {
        "run": np.array([1, 1, 1, 2, 2, 1]),
        "event": np.array([7, 7, 8, 7, 7, 7]),
        "kind": np.array(["b", "a", "b", "b", "b", "a"]),
        "row": np.arange(6),
    }
    events = unique_events(arrays, keys=("run", "event"), prefer=("kind", ["a", "b"]))
    np.testing.assert_array_equal(events["row"], [1, 2, 3])
    np.testing.assert_array_equal(unique_events(arrays, keys=("run", "event"))["row"], [0, 2, 3])


def test_unique_events_works_on_awkward_columns(zmumu):
    arrays = read_tree(zmumu, "events", ["Run", "Event", "Type", "M"], library="ak")
    events = unique_events(arrays, prefer=("Type", TYPE_ORDER))
    assert isinstance(events["M"], ak.Array)
    assert len(events["M"]) == ZMUMU_EVENTS


def test_unique_events_errors():
    arrays = {"run": np.array([1, 2]), "kind": np.array(["a", "c"])}
    with pytest.raises(ValueError, match=r"values \['c'\] missing from the preference order"):
        unique_events(arrays, keys=("run",), prefer=("kind", ["a", "b"]))
    with pytest.raises(KeyError, match="no column 'Run'; available columns: run, kind"):
        unique_events(arrays)
    with pytest.raises(ValueError, match="different lengths"):
        unique_events({"run": np.array([1, 2]), "x": np.array([1.0])}, keys=("run",))
    with pytest.raises(ValueError, match="at least one key"):
        unique_events(arrays, keys=())


# --- invariant mass -----------------------------------------------------------


def test_invariant_mass_reproduces_file_column(rows):
    np.testing.assert_allclose(invariant_mass(rows), rows["M"], rtol=1e-6)


def test_invariant_mass_awkward(zmumu, rows):
    arrays = read_tree(zmumu, "events", MOMENTA, library="ak")
    masses = invariant_mass(arrays, legs=("1", "2"))
    assert isinstance(masses, ak.Array)
    np.testing.assert_allclose(ak.to_numpy(masses), rows["M"], rtol=1e-6)


def test_invariant_mass_single_leg_and_errors(rows):
    muon_mass = invariant_mass(rows, legs=("1",))
    assert np.all(np.abs(muon_mass) < 1.0)  # muons: ~0.106 GeV up to rounding
    with pytest.raises(ValueError, match="at least one leg"):
        invariant_mass(rows, legs=())
    with pytest.raises(KeyError, match="no column 'px3'"):
        invariant_mass(rows, legs=("1", "3"))


# --- zmumu_masses -------------------------------------------------------------


def test_zmumu_masses_one_per_event(rows):
    masses = zmumu_masses()
    gg = unique_events(rows, prefer=("Type", TYPE_ORDER))
    assert masses.dtype == np.float64 and masses.shape == (ZMUMU_EVENTS,)
    np.testing.assert_allclose(masses, gg["M"], rtol=1e-6)
    in_window = (masses > 60) & (masses < 120)
    assert in_window.sum() == 495
    assert abs(np.median(masses[in_window]) - 91.19) < 1.0  # the Z peak


def test_zmumu_masses_cut_applies_before_choosing(zmumu, rows):
    masses = zmumu_masses(zmumu, cut="Q1 * Q2 < 0")
    opposite = {k: v[rows["Q1"] * rows["Q2"] < 0] for k, v in rows.items()}
    expected = unique_events(opposite, prefer=("Type", TYPE_ORDER))["M"]
    assert len(masses) == ZMUMU_EVENTS
    np.testing.assert_allclose(masses, expected, rtol=1e-6)
