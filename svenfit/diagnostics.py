"""Spectral and per-condition diagnostics of a fit at its solution.

From one SVD ``J = U Σ Vᵀ`` of the (weighted, robust) residual Jacobian at the solution:

- covariance ``C = V Σ⁻² Vᵀ`` over the kept directions; parameters touched by a cut direction are
  unconstrained and get an infinite error rather than a finite one;
- the leverage ``H_c = Σ_{i∈c} ‖U_i‖²`` of each condition c: how many parameters it fixes
  (``Σ_c H_c = rank``), its ``ndof_c = m_c − H_c``, χ²/ndof and p-value;
- the share of each singular direction fixed by each condition, ``Σ_{i∈c} U_ij²``;
- the share of each parameter's variance owed to each condition: with ``J⁺ = V Σ⁻¹ Uᵀ``,
  ``C_pp = Σ_i (J⁺_pi)²``, and the rows of condition c contribute ``Σ_{i∈c} (J⁺_pi)²`` of it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from scipy import linalg, stats

# Parameters whose unit vector has more than this squared component outside the kept directions are
# reported as unconstrained.
UNCONSTRAINED_TOL = 1e-6
# Above this many parameters the covariance and per-parameter shares are not formed.
MAX_COVARIANCE = 2000
# Above this many parameters the cut directions are only counted, not written out.
MAX_DIRECTIONS = 50


@dataclass(frozen=True)
class ConditionDiagnostics:
    """Diagnostics of one condition at the solution.

    Attributes
    ----------
    rows : int
        Number of residual rows.
    chi2 : float
        ``Σ rᵢ²`` over its rows (weighted, robust).
    leverage : float
        Effective number of parameters this condition fixes.
    ndof : float
        ``rows − leverage``.
    chi2_ndof : float
        ``chi2 / ndof`` (NaN when ``ndof ≤ 0``).
    pvalue : float
        Upper tail probability of χ² with ``ndof`` degrees of freedom (NaN when ``ndof ≤ 0``).
    max_abs : float
        Largest ``|rᵢ|``.
    rms : float
        Root mean square residual.
    """

    rows: int
    chi2: float
    leverage: float
    ndof: float
    chi2_ndof: float
    pvalue: float
    max_abs: float
    rms: float

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Analysis:
    """Everything :func:`analyse` derives from the SVD at the solution."""

    singular_values: np.ndarray
    rank: int
    cond: float
    covariance: np.ndarray | None
    conditions: dict[str, ConditionDiagnostics]
    direction_shares: dict[str, np.ndarray]
    parameter_shares: dict[str, np.ndarray] | None
    unconstrained: list[str]
    weakest: list[str]


def combination(vector: np.ndarray, names: list[str], cutoff: float = 0.05) -> str:
    """A unit direction written as a named-parameter combination, e.g. ``0.707·a − 0.707·b``."""
    vector = vector * np.sign(vector[np.argmax(np.abs(vector))])
    order = np.argsort(-np.abs(vector))
    terms = [(vector[i], names[i]) for i in order if abs(vector[i]) >= cutoff] or [(vector[order[0]], names[order[0]])]
    text = ""
    for coefficient, name in terms:
        sign = "−" if coefficient < 0 else "+"
        text += (f" {sign} " if text else ("−" if coefficient < 0 else "")) + f"{abs(coefficient):.3g}·{name}"
    return text


def analyse(J: torch.Tensor, r: torch.Tensor, blocks: dict[str, slice], names: list[str],
            active: np.ndarray, *, k: int | None = None, rtol: float | None = None) -> Analysis:
    """Diagnostics from the Jacobian ``J`` (m × n_active) and residuals ``r`` at the solution.

    Parameters
    ----------
    J, r
        Jacobian with respect to the active parameters (free and not at a bound), and residuals.
    blocks
        Condition name -> row slice.
    names
        Names of all parameters (the covariance is returned for all of them, zero for inactive ones).
    active
        Indices of the active parameters among ``names``.
    k, rtol
        Truncation, as in the fit; ``rtol`` defaults to ``eps · max(m, n)``.
    """
    J64 = J.detach().to(torch.float64).cpu()
    r64 = r.detach().to(torch.float64).cpu().numpy()
    m, n = J64.shape
    U, s, Vh = (x.numpy() for x in torch.linalg.svd(J64, full_matrices=False))
    s_all = s.copy()
    if rtol is None:
        rtol = np.finfo(float).eps * max(m, n)
    rank = int(np.count_nonzero(s > rtol * s[0])) if s.size and s[0] > 0 else 0
    if k is not None:
        rank = min(rank, k)
    Uk, sk, Vk = U[:, :rank], s[:rank], Vh[:rank].T
    cond = float(sk[0] / sk[-1]) if rank else float("inf")

    free_part = 1.0 - np.sum(Vk * Vk, axis=1)  # squared component of each unit vector outside the kept span
    loose = free_part > UNCONSTRAINED_TOL
    active_names = [names[i] for i in active]
    covariance, parameter_shares = None, None
    if len(names) <= MAX_COVARIANCE:
        covariance = np.zeros((len(names), len(names)))
        pinv = Vk / sk if rank else np.zeros((n, 0))  # V Σ⁻¹; J⁺ = pinv @ Ukᵀ
        cov_active = pinv @ pinv.T
        cov_active[loose, :] = np.inf
        cov_active[:, loose] = np.inf
        covariance[np.ix_(active, active)] = cov_active
        Jplus = pinv @ Uk.T  # n × m
        total = np.sum(Jplus ** 2, axis=1)
        parameter_shares = {}
        for name, rows in blocks.items():
            share = np.zeros(len(names))
            with np.errstate(invalid="ignore", divide="ignore"):
                share[active] = np.where(total > 0, np.sum(Jplus[:, rows] ** 2, axis=1) / total, 0.0)
            share[active[loose]] = 0.0
            parameter_shares[name] = share

    row_leverage = np.sum(Uk * Uk, axis=1)
    conditions, direction_shares = {}, {}
    for name, rows in blocks.items():
        size = rows.stop - rows.start
        chi2 = float(np.sum(r64[rows] ** 2))
        leverage = float(np.sum(row_leverage[rows]))
        ndof = size - leverage
        positive = ndof > 1e-9
        conditions[name] = ConditionDiagnostics(
            rows=size, chi2=chi2, leverage=leverage, ndof=ndof,
            chi2_ndof=chi2 / ndof if positive else float("nan"),
            pvalue=float(stats.chi2.sf(chi2, ndof)) if positive else float("nan"),
            max_abs=float(np.max(np.abs(r64[rows]))), rms=float(np.sqrt(chi2 / size)))
        direction_shares[name] = np.sum(Uk[rows] ** 2, axis=0)

    unconstrained = []
    if n - rank > 0:
        if n <= MAX_DIRECTIONS:
            basis = linalg.null_space(Vk.T) if rank else np.eye(n)
            unconstrained = [combination(v, active_names) for v in basis.T]
        else:
            unconstrained = [f"{n - rank} directions (too many parameters to write them out)"]
    weakest = [f"σ={sk[j]:.3g}: {combination(Vk[:, j], active_names)}" for j in range(rank - 1, max(rank - 4, -1), -1)]
    return Analysis(s_all, rank, cond, covariance, conditions, direction_shares, parameter_shares,
                    unconstrained, weakest)
