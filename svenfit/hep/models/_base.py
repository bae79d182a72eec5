"""Shared machinery: parameter references, the :class:`Model` base classes,
:class:`ExtendedSum`, input validation and the numerical helpers used by
several models (Gauss–Legendre integration, ``expm1(y)/y``, safe powers).
"""

from __future__ import annotations

import numbers
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import NoReturn, Union

import numpy as np
import torch
from numpy.typing import ArrayLike
from torch import Tensor

__all__ = ["ExtendedSum", "Model", "ParamSpec", "Params", "QuadratureModel"]

ParamSpec = Union[str, float]
"""A parameter reference: a name looked up in the parameter mapping, or a constant."""

Params = Mapping[str, Union[Tensor, float]]
"""Parameter values by name; each value a 0-d tensor (or a plain number)."""

_DTYPE = torch.float64
_SERIES_LIMIT = 0.1  # |y| below which expm1(y)/y is evaluated by its Taylor series
_SERIES_TERMS = 11  # first omitted term 0.1**11 / 12! ~ 2e-20


# ----------------------------------------------------------------------------
# validation and conversion
# ----------------------------------------------------------------------------


def _check_spec(what: str, spec: object) -> ParamSpec:
    """Return ``spec`` if it is a non-empty name or a finite real number."""
    if isinstance(spec, str):
        if not spec:
            raise ValueError(f"{what}: parameter name must not be empty")
        return spec
    if isinstance(spec, numbers.Real) and not isinstance(spec, bool):
        if not np.isfinite(float(spec)):
            raise ValueError(f"{what}: constant must be finite, got {spec!r}")
        return float(spec)
    raise TypeError(f"{what}: expected a parameter name (str) or a number, got {type(spec).__name__}")


def _as_data(values: object) -> Tensor:
    """``values`` as a float64 tensor (a tensor keeps its device; float64 tensors are returned as is)."""
    if isinstance(values, Tensor):
        return values.to(_DTYPE)
    return torch.as_tensor(np.asarray(values, dtype=np.float64))


def _as_scalar(value: object, like: Tensor, what: str) -> Tensor:
    """0-d tensor with the dtype and device of ``like`` (differentiable for tensor input)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise ValueError(f"{what} must be a 0-d tensor, got shape {tuple(value.shape)}")
        return value.to(dtype=like.dtype, device=like.device)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return torch.tensor(float(value), dtype=like.dtype, device=like.device)
    raise TypeError(f"{what} must be a 0-d tensor or a number, got {type(value).__name__}")


def _resolve(spec: ParamSpec, p: Params, like: Tensor, owner: str) -> Tensor:
    """Value of one parameter reference: ``p[spec]`` for names, the constant otherwise."""
    if isinstance(spec, str):
        if spec not in p:
            raise KeyError(f"parameter {spec!r} required by {owner} is missing; given: {sorted(p)}")
        return _as_scalar(p[spec], like, f"parameter {spec!r}")
    return torch.tensor(spec, dtype=like.dtype, device=like.device)


def _check_edges(edges: object) -> Tensor:
    """Bin edges as a 1-D floating tensor: at least 2, finite, strictly increasing."""
    tensor = _as_data(edges)
    if tensor.dim() != 1:
        raise ValueError(f"bin edges must be 1-D, got shape {tuple(tensor.shape)}")
    if tensor.numel() < 2:
        raise ValueError(f"need at least 2 bin edges, got {tensor.numel()}")
    if not bool(torch.isfinite(tensor).all()):
        raise ValueError("bin edges must be finite")
    steps = torch.nonzero(torch.diff(tensor) <= 0).flatten()
    if steps.numel():
        raise ValueError(f"bin edges must be strictly increasing; not at indices {steps.tolist()}")
    return tensor


def _check_range(lo: object, hi: object, like: Tensor) -> tuple[Tensor, Tensor]:
    """The fit range as 0-d tensors like ``like``; finite with ``lo < hi``."""
    lo_t, hi_t = _as_scalar(lo, like, "lo"), _as_scalar(hi, like, "hi")
    if not bool(torch.isfinite(lo_t) & torch.isfinite(hi_t) & (lo_t < hi_t)):
        raise ValueError(f"need a finite range lo < hi, got lo={float(lo_t)}, hi={float(hi_t)}")
    return lo_t, hi_t


def _check_count(what: str, value: object) -> int:
    """A positive integer option such as a quadrature order."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


# ----------------------------------------------------------------------------
# numerical helpers
# ----------------------------------------------------------------------------


def expm1_ratio(y: Tensor) -> Tensor:
    """``expm1(y) / y`` with the removable singularity at 0 filled in (value 1).

    Small ``|y|`` uses the Taylor series, so first and second derivatives are
    accurate through ``y = 0`` and no branch ever divides by zero.
    """
    small = y.abs() < _SERIES_LIMIT
    safe = torch.where(small, torch.ones_like(y), y)
    series = torch.zeros_like(y)
    for k in range(_SERIES_TERMS, 0, -1):  # sum_{k>=0} y^k / (k+1)!, Horner form
        series = 1.0 + series * y / (k + 1)
    return torch.where(small, series, torch.expm1(safe) / safe)


def safe_pow(base: Tensor, exponent: Tensor) -> Tensor:
    """``base ** exponent`` for ``base >= 0`` and ``exponent > 0``, 0 at ``base = 0``, NaN-free gradients."""
    positive = base > 0
    log_base = torch.log(torch.where(positive, base, torch.ones_like(base)))
    return torch.where(positive, torch.exp(exponent * log_base), torch.zeros_like(base))


@lru_cache(maxsize=None)
def _legendre_rule(order: int) -> tuple[np.ndarray, np.ndarray]:
    return np.polynomial.legendre.leggauss(order)


def gauss_legendre(f: Callable[[Tensor], Tensor], a: Tensor, b: Tensor, order: int) -> Tensor:
    """Integrals of ``f`` over ``[a, b]`` elementwise, with an ``order``-point Gauss–Legendre rule.

    ``f`` maps a tensor of nodes of shape ``a.shape + (order,)`` to values of the same shape.
    """
    nodes, weights = (torch.as_tensor(r, dtype=a.dtype, device=a.device) for r in _legendre_rule(order))
    half = 0.5 * (b - a)
    u = (0.5 * (a + b)).unsqueeze(-1) + half.unsqueeze(-1) * nodes
    return half * (weights * f(u)).sum(-1)


# ----------------------------------------------------------------------------
# models
# ----------------------------------------------------------------------------


class Model(ABC):
    """A 1-D probability density, truncated to and normalised on a fit range.

    Shape parameters are given as names (looked up in the parameter mapping at
    evaluation time) or numbers (constants). Subclasses implement an
    unnormalised density and its integrals over intervals; both may carry the
    same arbitrary positive factor, which may depend on the parameters and the
    range (used to keep exponentials from under- or overflowing) but not on
    ``x``. Multiplying a model by a yield (a name or a number) gives an
    :class:`ExtendedSum`.

    Parameters
    ----------
    specs
        Role name -> parameter reference, in declaration order.
    """

    def __init__(self, specs: Mapping[str, ParamSpec]) -> None:
        self._specs = {role: _check_spec(f"{type(self).__name__}.{role}", s) for role, s in specs.items()}

    @property
    def parameters(self) -> tuple[str, ...]:
        """Unique parameter names used, in declaration order."""
        return tuple(dict.fromkeys(s for s in self._specs.values() if isinstance(s, str)))

    def __repr__(self) -> str:
        args = ", ".join(f"{role}={spec!r}" for role, spec in self._specs.items())
        return f"{type(self).__name__}({args})"

    # -- subclass interface -------------------------------------------------

    @abstractmethod
    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        """Unnormalised density at ``x`` (inside ``[lo, hi]``); ``v`` maps role -> value."""

    @abstractmethod
    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        """Integrals of :meth:`_density` over ``[a, b]`` elementwise, ``lo <= a <= b <= hi``.

        Closed-form models evaluate the antiderivative difference here in a
        cancellation-free form rather than as ``F(b) - F(a)``.
        """

    def _range_integral(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        """Like :meth:`_integrals`, for intervals that may be as wide as the whole range."""
        return self._integrals(a, b, v, lo, hi)

    def _values(self, p: Params, like: Tensor) -> dict[str, Tensor]:
        """Role -> value, as 0-d tensors like ``like``."""
        return {role: _resolve(spec, p, like, repr(self)) for role, spec in self._specs.items()}

    # -- public interface ---------------------------------------------------

    def pdf(self, x: Tensor | ArrayLike, p: Params, lo: float | Tensor, hi: float | Tensor) -> Tensor:
        """Density at ``x`` normalised on ``[lo, hi]`` (0 outside).

        Parameters
        ----------
        x
            Points, any shape.
        p
            Parameter values by name.
        lo, hi
            Fit range.

        Returns
        -------
        Tensor
            Same shape as ``x``.
        """
        x = _as_data(x)
        lo, hi = _check_range(lo, hi, x)
        v = self._values(p, x)
        norm = self._range_integral(lo, hi, v, lo, hi)
        inside = (x >= lo) & (x <= hi)
        values = self._density(torch.clamp(x, lo, hi), v, lo, hi) / norm
        return torch.where(inside, values, torch.zeros_like(values))

    def cdf(self, x: Tensor | ArrayLike, p: Params, lo: float | Tensor, hi: float | Tensor) -> Tensor:
        """Cumulative distribution of the density normalised on ``[lo, hi]``.

        Parameters and return value as for :meth:`pdf`; 0 below ``lo``, 1 above ``hi``.
        """
        x = _as_data(x)
        lo, hi = _check_range(lo, hi, x)
        v = self._values(p, x)
        below = self._range_integral(lo.expand_as(x), torch.clamp(x, lo, hi), v, lo, hi)
        return below / self._range_integral(lo, hi, v, lo, hi)

    def bin_probabilities(self, edges: Tensor | ArrayLike, p: Params) -> Tensor:
        """Probability of each bin for the density normalised on ``[edges[0], edges[-1]]``.

        Parameters
        ----------
        edges
            Strictly increasing bin edges, at least 2.
        p
            Parameter values by name.

        Returns
        -------
        Tensor
            Shape ``(len(edges) - 1,)``; non-negative for a non-negative density, sums to 1.
        """
        edges = _check_edges(edges)
        v = self._values(p, edges)
        integrals = self._integrals(edges[:-1], edges[1:], v, edges[0], edges[-1])
        return integrals / integrals.sum()

    # -- algebra ------------------------------------------------------------

    def __mul__(self, yield_: ParamSpec) -> ExtendedSum:
        """``model * yield`` (or ``yield * model``): a one-term :class:`ExtendedSum`."""
        return ExtendedSum([(yield_, self)])

    __rmul__ = __mul__

    def __add__(self, other: object) -> NoReturn:
        raise TypeError(f"cannot add {self!r} without a yield; write e.g. 'n1' * model1 + 'n2' * model2")

    __radd__ = __add__


class QuadratureModel(Model):
    """A model integrated numerically with Gauss–Legendre quadrature.

    Subclasses choose a monotone substitution ``u(x)`` under which the
    integrand ``f(x(u)) dx/du`` is smooth (e.g. ``u = atan((x - m) / s)`` for a
    peak of scale ``s``): each bin is then one ``order``-point rule in ``u``.
    Bin probabilities are normalised by the sum over bins; :meth:`pdf` and
    :meth:`cdf` integrate ``[lo, x]`` with ``panels`` equal panels in ``u``.

    Parameters
    ----------
    specs
        Role name -> parameter reference.
    order
        Gauss–Legendre points per bin (and per panel).
    panels
        Equal-``u`` panels for integrals over the whole range.
    """

    def __init__(self, specs: Mapping[str, ParamSpec], *, order: int = 16, panels: int = 32) -> None:
        super().__init__(specs)
        self.order = _check_count("order", order)
        self.panels = _check_count("panels", panels)

    @abstractmethod
    def _to_u(self, x: Tensor, v: dict[str, Tensor]) -> Tensor:
        """The integration variable at ``x`` (monotone in ``x``)."""

    @abstractmethod
    def _integrand(self, u: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        """``_density(x(u)) * dx/du``."""

    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        return gauss_legendre(lambda u: self._integrand(u, v, lo, hi), self._to_u(a, v), self._to_u(b, v),
                              self.order)

    def _range_integral(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        ua, ub = self._to_u(a, v), self._to_u(b, v)
        fractions = torch.linspace(0.0, 1.0, self.panels + 1, dtype=ua.dtype, device=ua.device)
        knots = ua.unsqueeze(-1) + (ub - ua).unsqueeze(-1) * fractions
        return gauss_legendre(lambda u: self._integrand(u, v, lo, hi), knots[..., :-1], knots[..., 1:],
                              self.order).sum(-1)


# ----------------------------------------------------------------------------
# extended sum
# ----------------------------------------------------------------------------


class ExtendedSum:
    """Sum of components with yields, for extended binned likelihoods.

    Built with ``"n_sig" * signal + "n_bkg" * background`` (or ``2.0 * model``);
    adding sums flattens them. Yields are parameter names or numbers.

    Parameters
    ----------
    terms
        ``(yield, model)`` pairs.
    """

    def __init__(self, terms: Sequence[tuple[ParamSpec, Model]]) -> None:
        checked = []
        for yield_, model in terms:
            if not isinstance(model, Model):
                raise TypeError(f"ExtendedSum components must be Model instances, got {type(model).__name__}")
            checked.append((_check_spec(f"yield of {model!r}", yield_), model))
        if not checked:
            raise ValueError("ExtendedSum needs at least one term")
        self._terms = tuple(checked)

    @property
    def terms(self) -> tuple[tuple[ParamSpec, Model], ...]:
        """The ``(yield, model)`` pairs in order."""
        return self._terms

    @property
    def parameters(self) -> tuple[str, ...]:
        """Unique parameter names used, in order: each term's yield, then its model's parameters."""
        names: list[str] = []
        for yield_, model in self._terms:
            names.extend(([yield_] if isinstance(yield_, str) else []) + list(model.parameters))
        return tuple(dict.fromkeys(names))

    def __repr__(self) -> str:
        return " + ".join(f"{y!r} * {m!r}" for y, m in self._terms)

    def __add__(self, other: object) -> ExtendedSum:
        if not isinstance(other, ExtendedSum):
            raise TypeError(f"can only add yield-scaled models to {self!r}; write e.g. 'n' * model")
        return ExtendedSum(self._terms + other._terms)

    def yields(self, p: Params, like: Tensor | None = None) -> Tensor:
        """Yield of each term as a float64 tensor of shape ``(len(terms),)``, on the device of ``like``."""
        like = torch.zeros((), dtype=_DTYPE) if like is None else like
        return torch.stack([_resolve(y, p, like, f"yield of {m!r}") for y, m in self._terms])

    def expected(self, edges: Tensor | ArrayLike, p: Params) -> Tensor:
        """Expected counts per bin, ``sum_k yield_k * bin_probabilities_k``.

        Parameters
        ----------
        edges
            Strictly increasing bin edges; each component is normalised on ``[edges[0], edges[-1]]``.
        p
            Parameter values by name.

        Returns
        -------
        Tensor
            Shape ``(len(edges) - 1,)``.
        """
        edges = _check_edges(edges)
        probabilities = torch.stack([m.bin_probabilities(edges, p) for _, m in self._terms])
        return self.yields(p, edges) @ probabilities

    def density(self, x: Tensor | ArrayLike, p: Params, lo: float | Tensor, hi: float | Tensor) -> Tensor:
        """Expected counts per unit ``x``, ``sum_k yield_k * pdf_k`` on ``[lo, hi]`` (for plotting).

        Returns
        -------
        Tensor
            Same shape as ``x``.
        """
        x = _as_data(x)
        yields = self.yields(p, x)
        return sum(y * m.pdf(x, p, lo, hi) for y, (_, m) in zip(yields.unbind(), self._terms))

