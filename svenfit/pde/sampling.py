"""Collocation points in axis-aligned boxes.

A :class:`Box` is given by its lower and upper corners and, optionally, a name
per coordinate. Coordinates can then be referred to by index or by name, and
faces are :class:`Face` tuples such as ``Face("x", "lower")`` (a plain tuple
``("x", "lower")`` compares and hashes equal, and ``(0, "lower")`` is accepted
wherever a face is selected).

All samplers return float64 CPU torch tensors of shape ``(n, d)`` (move them
with ``.to(device)``) that do not require grad. Randomness comes
from ``seed``: an int gives reproducible points, ``None`` fresh points on every
call (resample between optimisation steps by calling again), and a
:class:`numpy.random.Generator` is used, and advanced, as is.

Sampling methods:

``"sobol"``
    Scrambled Sobol' points (:class:`scipy.stats.qmc.Sobol`). The first ``n``
    points of a ``2**m >= n`` draw are returned, which is what
    ``Sobol.random(n)`` would return, without its balance warning. The
    balance properties are exact when ``n`` is a power of two.
``"uniform"``
    Independent uniform points.
``"grid"``
    A cell-centred tensor-product grid, strictly inside the region, with
    about ``n`` points (the exact count is the product of the per-coordinate
    counts) and per-coordinate counts proportional to the side lengths, so the
    spacing is about equal in all coordinates. ``seed`` is ignored.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Sequence
from typing import Literal, NamedTuple, Union

import numpy as np
import torch
from scipy.stats import qmc
from torch import Tensor

__all__ = ["Box", "Face"]

Method = Literal["sobol", "uniform", "grid"]
Seed = Union[int, np.random.Generator, None]
Dim = Union[int, str]
_METHODS = ("sobol", "uniform", "grid")
_SIDES = ("lower", "upper")


class Face(NamedTuple):
    """One face of a box: the coordinate held fixed and which bound it sits on."""

    name: str
    side: Literal["lower", "upper"]


def _check_count(n: int, what: str = "n") -> int:
    """Return ``n`` as an int, raising ``ValueError`` unless it is positive."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{what} must be a positive integer, got {n!r}")
    return int(n)


def _grid_counts(n: int, lengths: np.ndarray) -> list[int]:
    """Per-coordinate counts of about ``n`` points with about equal spacing."""
    spacing = (np.prod(lengths) / n) ** (1.0 / len(lengths))
    return [max(1, round(length / spacing)) for length in lengths]


def _unit_samples(n: int, lengths: np.ndarray, method: Method, rng: np.random.Generator) -> np.ndarray:
    """Points in the unit cube of dimension ``len(lengths)``, shape ``(m, k)``.

    ``lengths`` are the physical side lengths, used only by ``"grid"``. For
    ``k = 0`` (a face of a 1-D box is a single point) the result is ``n``
    empty rows; for ``n = 0`` it has no rows.
    """
    k = len(lengths)
    if k == 0 or n == 0:
        return np.empty((n, k))
    if method == "uniform":
        return rng.random((n, k))
    if method == "sobol":
        sampler = qmc.Sobol(k, scramble=True, rng=rng)
        return sampler.random_base2(math.ceil(math.log2(n)))[:n]
    axes = [(np.arange(c) + 0.5) / c for c in _grid_counts(n, lengths)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, k)


def _allocate(n: int, weights: Sequence[float]) -> list[int]:
    """Split ``n`` into integer parts proportional to ``weights``.

    Largest-remainder rounding: the parts sum to exactly ``n``; ties go to the
    earlier entry.
    """
    quotas = n * np.asarray(weights, dtype=float) / np.sum(weights)
    counts = np.floor(quotas).astype(int)
    order = np.argsort(-(quotas - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts.tolist()


class Box:
    """Axis-aligned box ``[lower_0, upper_0] x ... x [lower_{d-1}, upper_{d-1}]``.

    Parameters
    ----------
    lower, upper : sequence of float
        Corners of the box, ``lower[i] < upper[i]`` for every coordinate.
    names : sequence of str, optional
        One distinct name per coordinate, e.g. ``("t", "x")``. Default
        ``("x0", "x1", ...)``.

    Examples
    --------
    >>> box = Box([0.0, -1.0], [1.0, 1.0], names=("t", "x"))
    >>> box.interior(128, seed=0).shape
    torch.Size([128, 2])
    >>> sorted(box.boundary_by_face(64, seed=0, faces=[("x", "lower"), ("x", "upper")]))
    [Face(name='x', side='lower'), Face(name='x', side='upper')]
    """

    def __init__(self, lower: Sequence[float], upper: Sequence[float], names: Sequence[str] | None = None) -> None:
        lo = np.asarray(lower, dtype=float)
        hi = np.asarray(upper, dtype=float)
        if lo.ndim != 1 or lo.shape != hi.shape or lo.size == 0:
            raise ValueError("lower and upper must be non-empty 1-D sequences of equal length")
        if not np.all(np.isfinite(lo) & np.isfinite(hi) & (lo < hi)):
            raise ValueError(f"need finite lower < upper in every coordinate, got {lower} and {upper}")
        names = tuple(f"x{i}" for i in range(lo.size)) if names is None else tuple(names)
        if len(names) != lo.size or len(set(names)) != len(names):
            raise ValueError(f"need {lo.size} distinct names, got {names}")
        self._lower, self._upper, self._names = lo, hi, names

    def __repr__(self) -> str:
        return f"Box(lower={self.lower}, upper={self.upper}, names={self.names})"

    @property
    def dim(self) -> int:
        """Number of coordinates ``d``."""
        return self._lower.size

    @property
    def lower(self) -> tuple[float, ...]:
        """Lower corner."""
        return tuple(self._lower.tolist())

    @property
    def upper(self) -> tuple[float, ...]:
        """Upper corner."""
        return tuple(self._upper.tolist())

    @property
    def names(self) -> tuple[str, ...]:
        """Coordinate names."""
        return self._names

    @property
    def faces(self) -> tuple[Face, ...]:
        """All ``2 d`` faces, ordered by coordinate, lower before upper."""
        return tuple(Face(name, side) for name in self._names for side in _SIDES)

    def index(self, dim: Dim) -> int:
        """Index of a coordinate given by index or name.

        Raises
        ------
        KeyError
            For an unknown name.
        IndexError
            For an index outside ``[0, d)``.
        """
        if isinstance(dim, str):
            if dim not in self._names:
                raise KeyError(f"unknown coordinate {dim!r}; names are {self._names}")
            return self._names.index(dim)
        i = operator.index(dim)
        if not 0 <= i < self.dim:
            raise IndexError(f"coordinate index {dim} out of range for a {self.dim}-D box")
        return i

    def face(self, spec: tuple[Dim, str]) -> Face:
        """Normalise ``(dim, side)``, with ``dim`` an index or name, to a :class:`Face`."""
        dim, side = spec
        if side not in _SIDES:
            raise ValueError(f"side must be 'lower' or 'upper', got {side!r}")
        return Face(self._names[self.index(dim)], side)

    def normal(self, face: tuple[Dim, str]) -> Tensor:
        """Outward unit normal of a face, float64 tensor of shape ``(d,)``."""
        name, side = self.face(face)
        normal = torch.zeros(self.dim, dtype=torch.float64)
        normal[self._names.index(name)] = -1.0 if side == "lower" else 1.0
        return normal

    def interior(self, n: int, method: Method = "sobol", seed: Seed = None) -> Tensor:
        """Points inside the box.

        Parameters
        ----------
        n : int
            Number of points (approximate for ``method="grid"``).
        method : {"sobol", "uniform", "grid"}
            Sampling method, see the module docstring.
        seed : int, numpy.random.Generator or None
            Reproducible for an int, fresh points for ``None``.

        Returns
        -------
        Tensor
            Shape ``(n, d)``, float64.
        """
        return self._sample(_check_count(n), method, np.random.default_rng(seed))

    def slice(self, dim: Dim, value: float, n: int, method: Method = "sobol", seed: Seed = None) -> Tensor:
        """Points on the hyperplane ``x[dim] = value``, other coordinates sampled.

        Parameters
        ----------
        dim : int or str
            Coordinate held fixed.
        value : float
            Its value, within ``[lower[dim], upper[dim]]``.
        n, method, seed
            As for :meth:`interior`.

        Returns
        -------
        Tensor
            Shape ``(n, d)``, float64; column ``dim`` equals ``value``.
        """
        i = self.index(dim)
        if not self._lower[i] <= value <= self._upper[i]:
            raise ValueError(f"value {value} outside [{self._lower[i]}, {self._upper[i]}] for coordinate {dim!r}")
        return self._sample(_check_count(n), method, np.random.default_rng(seed), fixed=(i, float(value)))

    def initial(self, n: int, time_dim: Dim = 0, method: Method = "sobol", seed: Seed = None) -> Tensor:
        """Initial-condition points: the face ``x[time_dim] = lower[time_dim]``.

        Parameters
        ----------
        n : int
            Number of points.
        time_dim : int or str
            The time coordinate, by default the first one.
        method, seed
            As for :meth:`interior`.

        Returns
        -------
        Tensor
            Shape ``(n, d)``, float64.
        """
        i = self.index(time_dim)
        return self.slice(i, self._lower[i], n, method=method, seed=seed)

    def boundary_by_face(
        self,
        n: int,
        method: Method = "sobol",
        seed: Seed = None,
        faces: Iterable[tuple[Dim, str]] | None = None,
    ) -> dict[Face, Tensor]:
        """Boundary points grouped by face, e.g. for Dirichlet vs Neumann data.

        Parameters
        ----------
        n : int
            Total number of points, split over the selected faces in proportion
            to their ``(d-1)``-dimensional areas (largest-remainder rounding; a
            face may get none when ``n`` is small). For ``d = 1`` each face is a
            single point, repeated as often as its share asks.
        method, seed
            As for :meth:`interior`; the faces are sampled one after the other
            from the same random stream, so the result is reproducible for an
            int seed.
        faces : iterable of (dim, side), optional
            Faces to sample, e.g. ``[("x", "lower"), (0, "upper")]``. Default:
            all faces.

        Returns
        -------
        dict of Face to Tensor
            One ``(n_face, d)`` float64 tensor per selected face, in the order
            of :attr:`faces`.
        """
        selected = self._select_faces(faces)
        areas = [np.prod(np.delete(self._upper - self._lower, self._names.index(f.name))) for f in selected]
        rng = np.random.default_rng(seed)
        return {
            f: self._sample(count, method, rng, fixed=self._face_plane(f))
            for f, count in zip(selected, _allocate(_check_count(n), areas))
        }

    def boundary(
        self,
        n: int,
        method: Method = "sobol",
        seed: Seed = None,
        faces: Iterable[tuple[Dim, str]] | None = None,
    ) -> Tensor:
        """Boundary points of all (or the selected) faces, concatenated.

        Same points, arguments and order as :meth:`boundary_by_face`.

        Returns
        -------
        Tensor
            Shape ``(n, d)`` (about ``n`` for ``method="grid"``), float64.
        """
        return torch.cat(list(self.boundary_by_face(n, method=method, seed=seed, faces=faces).values()))

    def grid(self, n_per_dim: int | Sequence[int]) -> tuple[Tensor, tuple[int, ...]]:
        """Regular grid including the boundary, for reference solutions and plots.

        Parameters
        ----------
        n_per_dim : int or sequence of int
            Points per coordinate (``linspace(lower, upper, n)``), the same for
            all coordinates or one per coordinate.

        Returns
        -------
        points : Tensor
            Shape ``(prod(shape), d)``, float64, in ``meshgrid(indexing="ij")``
            order.
        shape : tuple of int
            Grid shape: ``values.reshape(shape)`` puts coordinate ``i`` on
            axis ``i`` for values computed at ``points``.
        """
        counts = [n_per_dim] * self.dim if isinstance(n_per_dim, (int, np.integer)) else list(n_per_dim)
        if len(counts) != self.dim:
            raise ValueError(f"need {self.dim} counts, got {counts}")
        counts = [_check_count(c, "n_per_dim") for c in counts]
        axes = [torch.linspace(lo, hi, c, dtype=torch.float64) for lo, hi, c in zip(self.lower, self.upper, counts)]
        points = torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, self.dim)
        return points, tuple(counts)

    def _select_faces(self, faces: Iterable[tuple[Dim, str]] | None) -> list[Face]:
        """Normalised, duplicate-free face selection in the order of :attr:`faces`."""
        if faces is None:
            return list(self.faces)
        chosen = [self.face(spec) for spec in faces]
        if not chosen or len(set(chosen)) != len(chosen):
            raise ValueError(f"need a non-empty selection of distinct faces, got {chosen}")
        return [f for f in self.faces if f in chosen]

    def _face_plane(self, face: Face) -> tuple[int, float]:
        """``(index, value)`` of the coordinate fixed on ``face``."""
        i = self._names.index(face.name)
        return i, float(self._lower[i] if face.side == "lower" else self._upper[i])

    def _sample(
        self, n: int, method: Method, rng: np.random.Generator, fixed: tuple[int, float] | None = None
    ) -> Tensor:
        """About ``n`` points in the box, optionally with one coordinate fixed."""
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
        free = [i for i in range(self.dim) if fixed is None or i != fixed[0]]
        lengths = self._upper[free] - self._lower[free]
        unit = _unit_samples(n, lengths, method, rng)
        points = np.empty((unit.shape[0], self.dim))
        points[:, free] = self._lower[free] + unit * lengths
        if fixed is not None:
            points[:, fixed[0]] = fixed[1]
        return torch.from_numpy(points)
