"""One validated type for 1-D binned data, whatever produced the histogram.

:class:`BinnedData` holds bin edges, counts (sum of weights) and, for weighted
histograms, variances (sum of squared weights). It can be built from
``np.histogram`` output, from any histogram implementing the UHI plotting
protocol (``hist.Hist``, ``boost_histogram.Histogram``, uproot's TH1 objects),
or directly from unbinned values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["BinnedData"]

_SHOWN_BINS = 10


def _vector(values: ArrayLike, what: str) -> np.ndarray:
    """Read-only float64 1-D copy of ``values``."""
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{what} must be 1-D, got shape {array.shape}")
    array.setflags(write=False)
    return array


def _finite_vector(values: ArrayLike, what: str) -> np.ndarray:
    """Like :func:`_vector`, rejecting NaN and infinite entries."""
    array = _vector(values, what)
    bad = np.count_nonzero(~np.isfinite(array))
    if bad:
        raise ValueError(f"{what} must be finite; {bad} of {array.size} are not")
    return array


def _describe_bins(bad: np.ndarray, edges: np.ndarray, values: np.ndarray) -> str:
    """List offending bins as ``bin i [lo, hi): value``, truncated."""
    indices = np.flatnonzero(bad)
    shown = "; ".join(
        f"bin {i} [{edges[i]:g}, {edges[i + 1]:g}): {values[i]:g}" for i in indices[:_SHOWN_BINS]
    )
    hidden = len(indices) - _SHOWN_BINS
    return f"{shown}; ... ({hidden} more)" if hidden > 0 else shown


def _check_edges(edges: np.ndarray) -> None:
    """At least two finite, strictly increasing edges."""
    if edges.size < 2:
        raise ValueError(f"need at least 2 bin edges, got {edges.size}")
    non_finite = np.flatnonzero(~np.isfinite(edges))
    if non_finite.size:
        raise ValueError(f"bin edges must be finite; non-finite at indices {non_finite.tolist()}")
    steps = np.flatnonzero(np.diff(edges) <= 0)
    if steps.size:
        pairs = ", ".join(
            f"edges[{i}]={edges[i]:g} >= edges[{i + 1}]={edges[i + 1]:g}"
            for i in steps[:_SHOWN_BINS]
        )
        raise ValueError(f"bin edges must be strictly increasing: {pairs}")


def _check_bin_values(values: np.ndarray, edges: np.ndarray, what: str) -> None:
    """One finite, non-negative value per bin."""
    if values.shape != (edges.size - 1,):
        raise ValueError(
            f"{what} has {values.size} entries but {edges.size} edges define {edges.size - 1} bins"
        )
    non_finite = ~np.isfinite(values)
    if non_finite.any():
        raise ValueError(f"non-finite {what}: {_describe_bins(non_finite, edges, values)}")
    negative = values < 0
    if negative.any():
        raise ValueError(f"negative {what}: {_describe_bins(negative, edges, values)}")


@dataclass(frozen=True, eq=False)
class BinnedData:
    """Validated 1-D histogram: edges, counts and optional variances.

    Arrays are stored as read-only float64 copies. Variances equal to the
    counts carry no information beyond Poisson statistics and are stored as
    ``None``, so ``variances is None`` exactly when the data are unweighted.
    Instances compare by identity.

    Parameters
    ----------
    edges
        Bin edges, at least two, finite and strictly increasing.
    counts
        Sum of weights per bin (event counts when unweighted); finite,
        non-negative, not all zero.
    variances
        Sum of squared weights per bin, or ``None`` for unweighted (Poisson)
        counts; finite and non-negative.
    name
        Label, e.g. for plots and reports.

    Raises
    ------
    ValueError
        If any of the conditions above fails; the message names the offending
        bins or edges.
    """

    edges: np.ndarray
    counts: np.ndarray
    variances: np.ndarray | None = None
    name: str = ""

    def __post_init__(self) -> None:
        edges = _vector(self.edges, "edges")
        counts = _vector(self.counts, "counts")
        _check_edges(edges)
        _check_bin_values(counts, edges, "counts")
        if not counts.any():
            raise ValueError(f"histogram is empty: all {counts.size} bin counts are zero")
        variances = None if self.variances is None else _vector(self.variances, "variances")
        if variances is not None:
            _check_bin_values(variances, edges, "variances")
            if np.array_equal(variances, counts):
                variances = None
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "counts", counts)
        object.__setattr__(self, "variances", variances)

    @classmethod
    def from_numpy(
        cls,
        histogram: tuple[ArrayLike, ArrayLike],
        variances: ArrayLike | None = None,
        name: str = "",
    ) -> BinnedData:
        """Build from a ``(counts, edges)`` pair as returned by ``np.histogram``.

        Parameters
        ----------
        histogram
            ``(counts, edges)``, e.g. ``np.histogram(x, bins=40, range=(60, 120))``.
        variances
            Sum of squared weights per bin, or ``None`` for Poisson counts.
        name
            Label.

        Returns
        -------
        BinnedData
        """
        counts, edges = histogram
        return cls(edges, counts, variances, name)

    @classmethod
    def from_uhi(cls, histogram: Any, name: str = "") -> BinnedData:
        """Build from a 1-D histogram implementing the UHI plotting protocol.

        Works with ``hist.Hist``, ``boost_histogram.Histogram`` and uproot's
        TH1 objects (anything with ``kind``, ``axes``, ``values()`` and
        ``variances()``). Under- and overflow bins are dropped. Weight storage
        (or a TH1 with ``Sumw2``) gives variances; unweighted storage gives
        ``None``.

        Parameters
        ----------
        histogram
            The histogram object.
        name
            Label.

        Returns
        -------
        BinnedData

        Raises
        ------
        TypeError
            If the object does not implement the protocol.
        ValueError
            If it is not a 1-D count histogram over a continuous axis (a profile,
            a category axis, several axes), or it was filled with weights into a
            storage that does not track their squares (no variances available).
        """
        protocol = ("kind", "axes", "values", "variances")
        missing = [attr for attr in protocol if not hasattr(histogram, attr)]
        if missing:
            raise TypeError(
                f"{type(histogram).__name__} does not implement the UHI plotting protocol "
                f"(missing {missing})"
            )
        if histogram.kind != "COUNT":
            raise ValueError(
                f"expected a COUNT histogram, got kind {histogram.kind!s} (e.g. a profile)"
            )
        if len(histogram.axes) != 1:
            raise ValueError(f"expected a 1-D histogram, got {len(histogram.axes)} axes")
        axis = histogram.axes[0]
        if axis.traits.discrete:
            raise ValueError("expected a continuous axis, got a discrete (category/integer) axis")
        variances = histogram.variances()
        if variances is None:
            raise ValueError(
                "histogram provides no variances: it was filled with weights into a storage "
                "that does not track squared weights; use Weight() storage"
            )
        edges = [axis[i][0] for i in range(len(axis))] + [axis[len(axis) - 1][1]]
        return cls(edges, histogram.values(), variances, name)

    @classmethod
    def from_values(
        cls,
        values: ArrayLike,
        bins: int | Sequence[float],
        range: tuple[float, float] | None = None,  # noqa: A002 - numpy's name
        *,
        weights: ArrayLike | None = None,
        name: str = "",
    ) -> BinnedData:
        """Histogram unbinned values with ``np.histogram``.

        Parameters
        ----------
        values
            1-D sample; all values must be finite. Values outside the binning
            are not counted; the last bin includes its upper edge.
        bins
            Number of equal-width bins, or the bin edges.
        range
            ``(low, high)`` for an integer ``bins``; ignored when edges are given.
        weights
            Per-value weights; variances are then the sums of squared weights.
        name
            Label.

        Returns
        -------
        BinnedData

        Raises
        ------
        ValueError
            If values or weights are not finite, their shapes differ, or no
            value falls inside the binning.
        """
        sample = _finite_vector(values, "values")
        w = None if weights is None else _finite_vector(weights, "weights")
        if w is not None and w.shape != sample.shape:
            raise ValueError(f"weights have shape {w.shape} but values have shape {sample.shape}")
        counts, edges = np.histogram(sample, bins, range, weights=w)
        variances = None if w is None else np.histogram(sample, edges, weights=w**2)[0]
        return cls(edges, counts, variances, name)

    @property
    def n_bins(self) -> int:
        """Number of bins."""
        return self.counts.size

    @property
    def centers(self) -> np.ndarray:
        """Bin centres."""
        return 0.5 * (self.edges[:-1] + self.edges[1:])

    @property
    def widths(self) -> np.ndarray:
        """Bin widths."""
        return np.diff(self.edges)

    @property
    def total(self) -> float:
        """Sum of counts over all bins."""
        return float(self.counts.sum())

    @property
    def is_weighted(self) -> bool:
        """Whether variances differ from the counts (i.e. ``variances`` is not None)."""
        return self.variances is not None

    @property
    def effective_variances(self) -> np.ndarray:
        """Variances if weighted, otherwise the counts (Poisson variance estimate)."""
        return self.counts if self.variances is None else self.variances

    def restrict(self, lo: float, hi: float) -> BinnedData:
        """Keep the bins lying fully inside ``[lo, hi]``.

        Edges within 1e-9 of a bin width of ``lo`` or ``hi`` count as inside,
        so limits equal to edges computed in floating point still match.

        Parameters
        ----------
        lo, hi
            Range limits, ``lo < hi``.

        Returns
        -------
        BinnedData
            A new instance with the same name.

        Raises
        ------
        ValueError
            If ``lo >= hi``, no bin lies inside the range, or the bins inside
            are all empty.
        """
        if not lo < hi:
            raise ValueError(f"need lo < hi, got lo={lo:g}, hi={hi:g}")
        slack = 1e-9 * self.widths
        inside = (self.edges[:-1] >= lo - slack) & (self.edges[1:] <= hi + slack)
        if not inside.any():
            raise ValueError(
                f"no bin lies fully inside [{lo:g}, {hi:g}]; "
                f"edges span [{self.edges[0]:g}, {self.edges[-1]:g}]"
            )
        first, last = np.flatnonzero(inside)[[0, -1]]
        variances = None if self.variances is None else self.variances[first : last + 1]
        counts = self.counts[first : last + 1]
        return type(self)(self.edges[first : last + 2], counts, variances, self.name)
