"""Signal peaks: Gaussian, Crystal Ball (one- and two-sided), Breit–Wigner
(Cauchy and relativistic) and Voigt."""

from __future__ import annotations

import math
from abc import abstractmethod

import numpy as np
import torch
from torch import Tensor

from ._base import Model, ParamSpec, QuadratureModel, expm1_ratio

__all__ = ["BreitWigner", "CrystalBall", "DoubleCrystalBall", "Gaussian", "RelativisticBreitWigner", "Voigt"]

_Tail = tuple[Tensor, Tensor]  # (alpha, n) of a power-law tail


# ----------------------------------------------------------------------------
# Gaussian core with optional power-law tails
# ----------------------------------------------------------------------------


def _upper_gauss(z: Tensor, log_scale: Tensor) -> Tensor:
    """``exp(-log_scale) * int_z^inf exp(-t^2/2) dt`` for ``z >= 0`` via ``erfcx`` (no underflow).

    The exponent is capped at 0, which is exact wherever ``exp(-log_scale)``
    bounds the integrand on ``[z, inf)``; elsewhere it only keeps unused
    ``torch.where`` branches finite.
    """
    return (math.sqrt(math.pi / 2) * torch.special.erfcx(z / math.sqrt(2))
            * torch.exp(torch.clamp(-0.5 * z * z - log_scale, max=0.0)))


def _gauss_integral(za: Tensor, zb: Tensor, log_scale: Tensor) -> Tensor:
    """``int_za^zb exp(-z^2/2 - log_scale) dz`` for ``za <= zb``, free of cancellation in either tail."""
    zero = torch.zeros_like(za)
    upper = _upper_gauss(torch.maximum(za, zero), log_scale) - _upper_gauss(torch.maximum(zb, zero), log_scale)
    lower = _upper_gauss(torch.maximum(-zb, zero), log_scale) - _upper_gauss(torch.maximum(-za, zero), log_scale)
    around = (math.sqrt(2 * math.pi) * torch.exp(torch.clamp(-log_scale, max=0.0))
              - _upper_gauss(torch.maximum(-za, zero), log_scale) - _upper_gauss(torch.maximum(zb, zero), log_scale))
    return torch.where(za >= 0, upper, torch.where(zb <= 0, lower, around))


def _tail_log(s: Tensor, alpha: Tensor, n: Tensor) -> Tensor:
    """Log of the power-law tail at distance ``s >= 0`` (in sigma) beyond its junction at ``alpha``."""
    return -0.5 * alpha * alpha - n * torch.log1p(alpha * torch.clamp(s, min=0.0) / n)


def _tail_integral(sa: Tensor, sb: Tensor, tail: _Tail, log_scale: Tensor) -> Tensor:
    """``int_sa^sb exp(_tail_log(s) - log_scale) ds`` for ``0 <= sa <= sb``; exact at ``n = 1``."""
    alpha, n = tail
    start = n / alpha + sa  # the tail is exp(-alpha^2/2) * (start / (n/alpha))^-n at sa
    log_ratio = torch.log1p((sb - sa) / start)
    return (torch.exp(torch.clamp(_tail_log(sa, alpha, n) - log_scale, max=0.0))
            * start * log_ratio * expm1_ratio((1.0 - n) * log_ratio))


class _CrystalBallFamily(Model):
    """Gaussian core ``exp(-z^2/2)``, ``z = (x - mu)/sigma``, with optional power-law tails
    continuous with continuous derivative at ``z = -alpha_lo`` and ``z = alpha_hi``.

    All values are scaled by the inverse of the density's maximum over the fit
    range, so that fit ranges far in a tail neither underflow nor lose precision.
    """

    def _tails(self, v: dict[str, Tensor]) -> tuple[_Tail | None, _Tail | None]:
        """``(alpha, n)`` of the low and high tail, or None where there is no tail."""
        return None, None

    def _log_shape(self, z: Tensor, v: dict[str, Tensor]) -> Tensor:
        low, high = self._tails(v)
        log = -0.5 * z * z
        if low is not None:
            log = torch.where(z < -low[0], _tail_log(-low[0] - z, *low), log)
        if high is not None:
            log = torch.where(z > high[0], _tail_log(z - high[0], *high), log)
        return log

    def _z(self, x: Tensor, v: dict[str, Tensor]) -> Tensor:
        return (x - v["mu"]) / v["sigma"]

    def _log_scale(self, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        """Log of the maximum over the range: the shape at the point of the range nearest the mode."""
        nearest = torch.clamp(torch.zeros_like(lo), self._z(lo, v), self._z(hi, v))
        return self._log_shape(nearest, v)

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        return torch.exp(self._log_shape(self._z(x, v), v) - self._log_scale(v, lo, hi))

    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        za, zb = self._z(a, v), self._z(b, v)
        log_scale = self._log_scale(v, lo, hi)
        low, high = self._tails(v)
        zero = torch.zeros_like(za)
        tails = zero
        if low is not None:  # the part of [za, zb] below -alpha, as distances beyond the junction
            alpha = low[0]
            tails = tails + _tail_integral(torch.maximum(-alpha - zb, zero), torch.maximum(-alpha - za, zero),
                                           low, log_scale)
            za, zb = torch.maximum(za, -alpha), torch.maximum(zb, -alpha)
        if high is not None:  # the part above +alpha
            alpha = high[0]
            tails = tails + _tail_integral(torch.maximum(za - alpha, zero), torch.maximum(zb - alpha, zero),
                                           high, log_scale)
            za, zb = torch.minimum(za, alpha), torch.minimum(zb, alpha)
        return v["sigma"] * (tails + _gauss_integral(za, zb, log_scale))


class Gaussian(_CrystalBallFamily):
    """Normal density with mean ``mu`` and standard deviation ``sigma > 0``.

    Bin integrals use ``erfcx`` on the side of the mean away from the bin, so
    they are accurate (and the range normalisation finite) arbitrarily far in
    the tails.

    Parameters
    ----------
    mu, sigma
        Parameter names or constants.
    """

    def __init__(self, mu: ParamSpec, sigma: ParamSpec) -> None:
        super().__init__({"mu": mu, "sigma": sigma})


class CrystalBall(_CrystalBallFamily):
    """Crystal Ball: Gaussian core with a power-law low tail below ``mu - alpha * sigma``.

    Same shape as ``scipy.stats.crystalball(beta=alpha, m=n, loc=mu, scale=sigma)``;
    on a finite fit range any ``n > 0`` is valid (``n = 1`` included).

    Parameters
    ----------
    mu, sigma
        Core mean and width (``sigma > 0``).
    alpha
        Junction in units of sigma (``alpha > 0``).
    n
        Tail power (``n > 0``).
    """

    def __init__(self, mu: ParamSpec, sigma: ParamSpec, alpha: ParamSpec, n: ParamSpec) -> None:
        super().__init__({"mu": mu, "sigma": sigma, "alpha": alpha, "n": n})

    def _tails(self, v: dict[str, Tensor]) -> tuple[_Tail | None, _Tail | None]:
        return (v["alpha"], v["n"]), None


class DoubleCrystalBall(_CrystalBallFamily):
    """Double-sided Crystal Ball: Gaussian core with power-law tails on both sides.

    Low tail below ``mu - alpha_lo * sigma`` with power ``n_lo``, high tail above
    ``mu + alpha_hi * sigma`` with power ``n_hi``, each joined continuously with
    continuous derivative (the one-sided :class:`CrystalBall` tail, mirrored for
    the high side).

    Parameters
    ----------
    mu, sigma
        Core mean and width (``sigma > 0``).
    alpha_lo, n_lo, alpha_hi, n_hi
        Junctions (in sigma, ``> 0``) and tail powers (``> 0``).
    """

    def __init__(self, mu: ParamSpec, sigma: ParamSpec, alpha_lo: ParamSpec, n_lo: ParamSpec,
                 alpha_hi: ParamSpec, n_hi: ParamSpec) -> None:
        super().__init__({"mu": mu, "sigma": sigma, "alpha_lo": alpha_lo, "n_lo": n_lo,
                          "alpha_hi": alpha_hi, "n_hi": n_hi})

    def _tails(self, v: dict[str, Tensor]) -> tuple[_Tail | None, _Tail | None]:
        return (v["alpha_lo"], v["n_lo"]), (v["alpha_hi"], v["n_hi"])


# ----------------------------------------------------------------------------
# Breit–Wigner family
# ----------------------------------------------------------------------------


class BreitWigner(Model):
    """Non-relativistic Breit–Wigner (Cauchy) with peak ``mass`` and full width at half maximum ``width``.

    Density proportional to ``1 / ((x - mass)^2 + width^2 / 4)``, as
    ``scipy.stats.cauchy(loc=mass, scale=width/2)``. Bin integrals use
    ``atan2(zb - za, 1 + za * zb)``, exact also far in the tails.

    Parameters
    ----------
    mass, width
        Parameter names or constants (``width > 0``).
    """

    def __init__(self, mass: ParamSpec, width: ParamSpec) -> None:
        super().__init__({"mass": mass, "width": width})

    def _z(self, x: Tensor, v: dict[str, Tensor]) -> Tensor:
        return (x - v["mass"]) / (0.5 * v["width"])

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        return 1.0 / (1.0 + self._z(x, v) ** 2)

    def _integrals(self, a: Tensor, b: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        za, zb = self._z(a, v), self._z(b, v)
        return 0.5 * v["width"] * torch.atan2(zb - za, 1.0 + za * zb)


class _PeakQuadratureModel(QuadratureModel):
    """Quadrature in ``u = atan((x - centre) / scale)``, which flattens a peak with Lorentzian tails."""

    @abstractmethod
    def _peak(self, v: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """``(centre, scale)`` of the substitution."""

    def _to_u(self, x: Tensor, v: dict[str, Tensor]) -> Tensor:
        centre, scale = self._peak(v)
        return torch.atan((x - centre) / scale)

    def _integrand(self, u: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        centre, scale = self._peak(v)
        t = torch.tan(u)
        return self._density(centre + scale * t, v, lo, hi) * scale * (1.0 + t * t)


class RelativisticBreitWigner(_PeakQuadratureModel):
    """Relativistic Breit–Wigner with constant width.

    Density proportional to ``1 / ((x^2 - mass^2)^2 + mass^2 * width^2)`` for
    ``x`` the invariant mass. The usual constant ``k = 2 sqrt(2) M G g / (pi
    sqrt(M^2 + g))``, ``g = sqrt(M^2 (M^2 + G^2))``, normalises it on
    ``[0, inf)``; it drops out here since the density is normalised on the fit
    range. Integrated by Gauss–Legendre quadrature; meant for fit ranges with
    ``x >= 0`` (the shape has a mirror peak at ``-mass``).

    Parameters
    ----------
    mass, width
        Parameter names or constants (``mass > 0``, ``width > 0``).
    order, panels
        Quadrature settings, see :class:`QuadratureModel`.
    """

    def __init__(self, mass: ParamSpec, width: ParamSpec, *, order: int = 16, panels: int = 32) -> None:
        super().__init__({"mass": mass, "width": width}, order=order, panels=panels)

    def _peak(self, v: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        return v["mass"], 0.5 * v["width"]

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        mass, width = v["mass"], v["width"]
        return 1.0 / (1.0 + ((x * x - mass * mass) / (mass * width)) ** 2)


def _weideman_coefficients(n_terms: int) -> tuple[float, np.ndarray]:
    """``(L, a)`` of Weideman's rational approximation of the Faddeeva function.

    J. A. C. Weideman, SIAM J. Numer. Anal. 31 (1994) 1497: ``w(z) ~ 2 p(Z) /
    (L - iz)^2 + 1 / (sqrt(pi) (L - iz))`` with ``Z = (L + iz) / (L - iz)`` and
    ``p`` the polynomial with coefficients ``a`` (highest power first).
    """
    m = 2 * n_terms
    length = math.sqrt(n_terms / math.sqrt(2))
    t = length * np.tan(np.arange(-m + 1, m) * np.pi / (2 * m))
    f = np.concatenate([[0.0], np.exp(-t * t) * (length**2 + t * t)])
    a = np.real(np.fft.fft(np.fft.fftshift(f))) / (2 * m)
    return length, a[n_terms:0:-1].copy()


_WEIDEMAN_LENGTH, _WEIDEMAN_COEFFICIENTS = _weideman_coefficients(40)


def faddeeva(z: Tensor) -> Tensor:
    """Faddeeva function ``w(z) = exp(-z^2) erfc(-iz)`` for ``Im z >= 0`` (complex tensor).

    Weideman's rational approximation with 40 terms: about 1e-14 absolute
    accuracy relative to ``|w|`` near the origin; holomorphic, so autograd
    through it is exact for the approximation.
    """
    denominator = _WEIDEMAN_LENGTH - 1j * z
    ratio = (_WEIDEMAN_LENGTH + 1j * z) / denominator
    polynomial = torch.zeros_like(z)
    for coefficient in _WEIDEMAN_COEFFICIENTS:
        polynomial = polynomial * ratio + float(coefficient)
    return 2.0 * polynomial / denominator**2 + (1.0 / math.sqrt(math.pi)) / denominator


class Voigt(_PeakQuadratureModel):
    """Voigt profile: a Breit–Wigner of FWHM ``width`` convolved with a Gaussian of ``sigma``.

    Equals ``scipy.special.voigt_profile(x - mass, sigma, width / 2)``, computed
    as ``Re w(z) / (sigma sqrt(2 pi))``, ``z = (x - mass + i width/2) / (sigma
    sqrt(2))``, with :func:`faddeeva`. The density is accurate to about 1e-14
    of its peak value (relative accuracy 1e-6 or better within 10 (sigma +
    width) of the peak for ``width / sigma >= 1e-6``). Integrated by
    Gauss–Legendre quadrature.

    Parameters
    ----------
    mass, width, sigma
        Parameter names or constants (``width >= 0``, ``sigma > 0``).
    order, panels
        Quadrature settings, see :class:`QuadratureModel`.
    """

    def __init__(self, mass: ParamSpec, width: ParamSpec, sigma: ParamSpec, *, order: int = 16,
                 panels: int = 32) -> None:
        super().__init__({"mass": mass, "width": width, "sigma": sigma}, order=order, panels=panels)

    def _peak(self, v: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        return v["mass"], 0.5 * v["width"] + v["sigma"]

    def _density(self, x: Tensor, v: dict[str, Tensor], lo: Tensor, hi: Tensor) -> Tensor:
        scale = v["sigma"] * math.sqrt(2.0)
        z = torch.complex(x - v["mass"], (0.5 * v["width"]).expand_as(x)) / scale
        return torch.real(faddeeva(z)) / (scale * math.sqrt(math.pi))
