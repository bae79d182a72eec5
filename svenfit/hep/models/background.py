"""Background shapes: exponential, Bernstein and Chebyshev polynomials, ARGUS."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ._base import Model, ParamSpec, QuadratureModel, expm1_ratio, safe_pow

__all__ = ["Argus", "Bernstein", "Chebyshev", "Exponential"]


class Exponential(Model):
    """Density proportional to ``exp(slope * x)``.

    Evaluated as ``exp(slope * (x - r))`` with ``r`` the end of the fit range
    where the density is largest, so ``|slope * x|`` of any size neither
    overflows nor underflows the normalisation; bin integrals use
    ``expm1(y) / y``, exact through ``slope = 0`` (uniform) including its
    first and second derivatives.

    Parameters
    ----------
    slope
        Parameter name or constant (any sign, 0 allowed).
    """

    def __init__(self, slope: ParamSpec) -> None:
        super().__init__({"slope": slope})

    @staticmethod
    def _reference(slope: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
        return torch.where(slope >= 0, hi, lo)

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        slope = v["slope"]
        return torch.exp(slope * (x - self._reference(slope, lo, hi)))

    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        slope = v["slope"]
        rising = slope >= 0
        steepness = torch.where(rising, slope, -slope)  # |slope|, with derivative +1 at 0
        largest = torch.where(rising, b, a)  # end of the bin where the density is largest
        width = b - a
        return (torch.exp(slope * (largest - self._reference(slope, lo, hi)))
                * width * expm1_ratio(-steepness * width))


def _unit_interval(x: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
    return (x - lo) / (hi - lo)


def _coefficient_specs(coefficients: Sequence[ParamSpec], first: int, owner: str) -> dict[str, ParamSpec]:
    """Roles ``c{first}``, ``c{first+1}``, ... for a non-empty sequence of coefficients."""
    if isinstance(coefficients, (str, bytes)) or not isinstance(coefficients, Sequence):
        raise TypeError(f"{owner}: coefficients must be a sequence of parameter names or numbers")
    if not coefficients:
        raise ValueError(f"{owner}: need at least one coefficient")
    return {f"c{i + first}": c for i, c in enumerate(coefficients)}


def _stack_coefficients(v: dict[str, Tensor]) -> Tensor:
    return torch.stack(list(v.values()))


class Bernstein(Model):
    """Bernstein polynomial ``sum_k c_k b_{k,n}(t)`` on the fit range, ``t = (x - lo) / (hi - lo)``.

    Degree ``n = len(coefficients) - 1``; non-negative coefficients give a
    non-negative density. The overall scale of the coefficients drops out of
    the normalisation, so fixing one of them (e.g. to 1) removes the
    degeneracy with the yield. Integrals are exact (closed form).

    Parameters
    ----------
    coefficients
        Parameter names or constants ``c_0 ... c_n``, at least one.
    """

    def __init__(self, coefficients: Sequence[ParamSpec]) -> None:
        super().__init__(_coefficient_specs(coefficients, first=0, owner="Bernstein"))

    @staticmethod
    def _basis(t: Tensor, degree: int) -> Tensor:
        """``b_{k,degree}(t)`` for ``k = 0..degree``, stacked on a new last axis."""
        powers, complements = [torch.ones_like(t)], [torch.ones_like(t)]
        for _ in range(degree):
            powers.append(powers[-1] * t)
            complements.append(complements[-1] * (1.0 - t))
        return torch.stack([math.comb(degree, k) * powers[k] * complements[degree - k] for k in range(degree + 1)],
                           dim=-1)

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        coefficients = _stack_coefficients(v)
        return self._basis(_unit_interval(x, lo, hi), len(coefficients) - 1) @ coefficients

    def _antiderivative(self, x: Tensor, coefficients: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
        """``(hi - lo) / (n + 1) * sum_k c_k sum_{j > k} b_{j,n+1}(t)``, the integral from ``lo`` to ``x``."""
        degree = len(coefficients) - 1
        basis = self._basis(_unit_interval(x, lo, hi), degree + 1)
        above = basis.flip(-1).cumsum(-1).flip(-1)[..., 1:]  # sum_{j > k} b_{j,n+1} for k = 0..n
        return (hi - lo) / (degree + 1) * (above @ coefficients)

    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        coefficients = _stack_coefficients(v)
        return self._antiderivative(b, coefficients, lo, hi) - self._antiderivative(a, coefficients, lo, hi)


class Chebyshev(Model):
    """Chebyshev series ``1 + sum_{i>=1} c_i T_i(t)`` on the fit range, ``t = 2 (x - lo) / (hi - lo) - 1``.

    Integrals are exact (closed form). The density is not guaranteed to be
    non-negative; keep the coefficients small (or bound them) in fits.

    Parameters
    ----------
    coefficients
        Parameter names or constants ``c_1 ... c_n``, at least one.
    """

    def __init__(self, coefficients: Sequence[ParamSpec]) -> None:
        super().__init__(_coefficient_specs(coefficients, first=1, owner="Chebyshev"))

    @staticmethod
    def _basis(t: Tensor, degree: int) -> Tensor:
        """``T_i(t)`` for ``i = 0..degree`` (``degree >= 1``), stacked on a new last axis."""
        terms = [torch.ones_like(t), t]
        for _ in range(degree - 1):
            terms.append(2.0 * t * terms[-1] - terms[-2])
        return torch.stack(terms, dim=-1)

    @staticmethod
    def _t(x: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
        return 2.0 * _unit_interval(x, lo, hi) - 1.0

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        coefficients = _stack_coefficients(v)
        return 1.0 + self._basis(self._t(x, lo, hi), len(coefficients))[..., 1:] @ coefficients

    def _antiderivative(self, x: Tensor, coefficients: Tensor, lo: Tensor, hi: Tensor) -> Tensor:
        """``(hi - lo) / 2 * (t + sum_i c_i S_i(t))`` with ``S_1 = T_2 / 4`` and
        ``S_i = (T_{i+1} / (i+1) - T_{i-1} / (i-1)) / 2``."""
        t = self._t(x, lo, hi)
        chebyshev = self._basis(t, len(coefficients) + 1).unbind(-1)
        integrated = [chebyshev[2] / 4.0] + [
            0.5 * (chebyshev[i + 1] / (i + 1) - chebyshev[i - 1] / (i - 1)) for i in range(2, len(coefficients) + 1)
        ]
        return 0.5 * (hi - lo) * (t + torch.stack(integrated, dim=-1) @ coefficients)

    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        coefficients = _stack_coefficients(v)
        return self._antiderivative(b, coefficients, lo, hi) - self._antiderivative(a, coefficients, lo, hi)


class Argus(QuadratureModel):
    """ARGUS background: density proportional to ``y (1 - y^2)^p exp(c (1 - y^2))``, ``y = x / m0``.

    Zero for ``x < 0`` and ``x >= m0``. This is RooFit's ``RooArgusBG``
    parametrisation; with ``p = 0.5`` and ``c = -chi^2 / 2`` it is
    ``scipy.stats.argus(chi, scale=m0)``. Integrated by Gauss–Legendre
    quadrature in ``w = sqrt(1 - y^2)``, where the integrand ``m0 w^(2p+1)
    exp(c w^2)`` is smooth (a polynomial times a Gaussian for half-integer
    ``p``), including bins at the endpoint ``m0``.

    Parameters
    ----------
    m0
        Kinematic endpoint (``> 0``).
    c
        Curvature (usually ``< 0``; ``c > 700`` overflows).
    p
        Power (``> 0``), 0.5 by default.
    order, panels
        Quadrature settings, see :class:`QuadratureModel`.
    """

    def __init__(self, m0: ParamSpec, c: ParamSpec, p: ParamSpec = 0.5, *, order: int = 16,
                 panels: int = 32) -> None:
        super().__init__({"m0": m0, "c": c, "p": p}, order=order, panels=panels)

    def _to_u(self, x: Tensor, v: dict[str, Tensor]) -> Tensor:
        y = torch.clamp(x, min=0.0) / v["m0"]
        return safe_pow(1.0 - y * y, torch.full_like(y, 0.5))

    def _integrand(self, u: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        return -v["m0"] * safe_pow(u, 2.0 * v["p"] + 1.0) * torch.exp(v["c"] * u * u)

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        y = torch.clamp(x, min=0.0) / v["m0"]
        complement = 1.0 - y * y
        return y * safe_pow(complement, v["p"]) * torch.exp(v["c"] * complement)
