"""Residuals of the standard HEP costs, one row per bin or constraint.

The signed Poisson deviance makes a binned likelihood a set of conditions: its sum of squares is
exactly iminuit's ``ExtendedBinnedNLL`` value (``2 Σ [μ − n + n ln(n/μ)]``), so minima and fvals compare
directly with Minuit's.
"""

from __future__ import annotations

import numpy as np
import torch

# Expectations are floored here: a model whose expectation reaches zero or goes negative in a bin with
# counts gets a large, finite deviance (and the step that caused it is rejected), never a NaN.
TINY_EXPECTATION = 1e-100
# Below this |u| the series of 2(u − log1p(u))/u² is exact to double precision.
_SERIES = 1e-4


def _deviance_ratio(u: torch.Tensor, log_ratio: torch.Tensor) -> torch.Tensor:
    """``g(u) = 2 (u − log1p(u)) / u²`` for u = μ/n − 1, smooth through u = 0 (g(0) = 1).

    ``log1p(u)`` is passed in as ``log μ − log n``, which keeps its precision when μ ≪ n (u → −1).
    """
    small = u.abs() < _SERIES
    safe = torch.where(small, torch.ones_like(u), u)
    exact = 2.0 * (safe - torch.where(small, torch.zeros_like(u), log_ratio)) / (safe * safe)
    series = 1.0 - 2.0 * u / 3.0 + u * u / 2.0
    return torch.where(small, series, exact)


def poisson_deviance(counts: torch.Tensor, expected: torch.Tensor,
                     variances: torch.Tensor | None = None) -> torch.Tensor:
    """Signed deviance residuals ``sign(μ − n) √(2[μ − n + n ln(n/μ)])`` per bin.

    Written as ``(μ − n) √(g(u)/n)`` with ``u = (μ − n)/n`` so that it is smooth (and its derivatives
    finite) at ``μ = n``; empty bins give ``√(2μ)``.

    Parameters
    ----------
    counts, expected : Tensor
        Observed and expected counts per bin.
    variances : Tensor, optional
        Sums of squared weights of a weighted histogram; counts and expectation are then scaled by
        ``n/σ²`` per bin (the scaled-Poisson approximation iminuit uses for weighted data).
    """
    mu = torch.clamp(expected, min=TINY_EXPECTATION)
    n = counts.to(mu.dtype)
    if variances is not None:
        scale = torch.where(variances > 0, n / torch.where(variances > 0, variances, torch.ones_like(n)),
                            torch.ones_like(n))
        n, mu = n * scale, mu * scale
    filled = n > 0
    n_safe = torch.where(filled, n, torch.ones_like(n))
    u = torch.where(filled, (mu - n) / n_safe, torch.zeros_like(n))
    log_ratio = torch.log(mu) - torch.log(n_safe)
    with_counts = (mu - n) * torch.sqrt(_deviance_ratio(u, log_ratio) / n_safe)
    return torch.where(filled, with_counts, torch.sqrt(2.0 * mu))


def chi2_residuals(counts: torch.Tensor, expected: torch.Tensor, errors: torch.Tensor) -> torch.Tensor:
    """``(μ − n)/σ`` per bin."""
    return (expected - counts) / errors


def gaussian_constraint(values: torch.Tensor, means: torch.Tensor | np.ndarray,
                        sigmas: torch.Tensor | np.ndarray | None = None,
                        covariance: torch.Tensor | np.ndarray | None = None) -> torch.Tensor:
    """Residuals of a (possibly correlated) Gaussian constraint: ``L⁻¹(θ − μ)`` with ``C = L Lᵀ``."""
    means = torch.as_tensor(means, dtype=values.dtype)
    if covariance is None:
        return (values - means) / torch.as_tensor(sigmas, dtype=values.dtype)
    L = torch.linalg.cholesky(torch.as_tensor(covariance, dtype=values.dtype))
    return torch.linalg.solve_triangular(L, (values - means)[:, None], upper=False)[:, 0]
