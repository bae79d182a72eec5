"""FitResult: scipy's ``OptimizeResult`` with covariance, errors and per-condition diagnostics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy import stats
from scipy.optimize import OptimizeResult
from torch.func import hessian

from .diagnostics import ConditionDiagnostics, analyse
from .engine.sven import History
from .losses import robust, robust_with_slope
from .problem import Problem

# A free parameter this close to a bound (relative to the range, or to max(1, |bound|) for one-sided
# bounds) is reported as sitting on it.
AT_BOUND_TOL = 1e-6

_ARRAYS = ("x", "fun", "jac", "grad", "active_mask", "fixed", "at_bound", "covariance", "errors",
           "correlation", "singular_values")


class FitResult(OptimizeResult):
    """The result of a fit: every ``scipy.optimize.OptimizeResult`` field of ``least_squares`` and more.

    Attributes
    ----------
    x, cost, fun, jac, grad, optimality, active_mask, nfev, njev, status, message, success
        As in ``scipy.optimize.least_squares``; ``fun`` holds the weighted residuals, ``jac`` their
        Jacobian (scaled for a robust loss, as scipy's) with respect to every parameter.
    names : list of str
        Parameter names.
    params : dict
        Name -> fitted value.
    chi2 : float
        ``2 · cost`` (iminuit's ``fval`` for least-squares and binned-likelihood costs).
    ndof, reduced_chi2, pvalue
        ``m − rank``, ``chi2 / ndof`` and the χ² upper-tail probability.
    covariance, errors, correlation : ndarray
        Gauss–Newton covariance ``(JᵀJ)⁺`` over the kept directions (or the exact-Hessian one after
        :meth:`hesse`); fixed and at-bound parameters have zero error, unconstrained ones infinite.
    covariance_method : str
        "gauss-newton" or "hesse".
    singular_values, rank, cond
        Spectrum of the Jacobian at the solution (with respect to the active parameters).
    unconstrained : list of str
        Directions the conditions do not fix, written as named-parameter combinations.
    weakest : list of str
        The least constrained kept directions, with their singular values.
    conditions : dict of ConditionDiagnostics
        Per condition: rows, chi2, leverage, ndof, chi2/ndof, p-value, max |r|, RMS.
    parameter_shares : dict
        Condition -> share of each parameter's variance owed to that condition.
    direction_shares : dict
        Condition -> share of each kept singular direction fixed by that condition.
    fixed, at_bound : ndarray of bool
        Parameters held fixed (``lb == ub``) and free ones that finished on a bound.
    history : History
        Per-iteration cost, chi2 per condition, damping, rank, step norm, time.
    """

    def __repr__(self) -> str:
        from .report import text_report
        return text_report(self)

    __str__ = __repr__

    def _repr_html_(self) -> str:
        from .report import html_report
        return html_report(self)

    @property
    def params(self) -> dict[str, float]:
        return dict(zip(self.names, (float(v) for v in self.x)))

    def hesse(self) -> "FitResult":
        """Replace the covariance by the inverse exact Hessian of the cost, as Minuit's HESSE does.

        For likelihood conditions the Gauss–Newton covariance drops ``Σ rᵢ ∇²rᵢ``, which is not small
        at low counts; the exact Hessian of ``½‖r‖²`` (torch.func) restores it. Directions of
        non-positive curvature are reported unconstrained. Returns ``self``.
        """
        problem: Problem | None = getattr(self, "_problem", None)
        if problem is None:
            raise ValueError("hesse() needs the fit's function; a result loaded from a file has none")
        if problem.numpy:
            raise ValueError("hesse() differentiates the cost with torch.func and needs jac='autograd'")
        space = problem.space
        active = np.flatnonzero(~self.fixed & ~self.at_bound)
        x_full = torch.as_tensor(self.x, dtype=space.dtype, device=space.device)
        index = torch.as_tensor(active, device=space.device)

        def cost(v: torch.Tensor) -> torch.Tensor:
            x_free = x_full.index_put((index,), v)[space.free]
            r = robust(problem.values(x_free), problem.loss, problem.f_scale)
            return 0.5 * (r @ r)

        H = hessian(cost)(x_full[index]).detach().cpu().to(torch.float64).numpy()
        H = 0.5 * (H + H.T)
        evals, evecs = np.linalg.eigh(H)
        keep = evals > np.finfo(float).eps * len(evals) * max(abs(evals).max(), 1e-300)
        cov_active = (evecs[:, keep] / evals[keep]) @ evecs[:, keep].T
        loose = 1.0 - np.sum(evecs[:, keep] ** 2, axis=1) > 1e-6
        cov_active[loose, :] = np.inf
        cov_active[:, loose] = np.inf
        covariance = np.zeros((len(self.names), len(self.names)))
        covariance[np.ix_(active, active)] = cov_active
        self._set_covariance(covariance, "hesse")
        self.hesse_positive_definite = bool(keep.all())
        return self

    def _set_covariance(self, covariance: np.ndarray | None, method: str) -> None:
        self.covariance = covariance
        self.covariance_method = method
        if covariance is None:
            self.errors = self.correlation = None
            return
        errors = np.sqrt(np.diag(covariance))
        usable = np.isfinite(errors) & (errors > 0)
        correlation = np.eye(len(errors))
        both = np.outer(usable, usable)
        with np.errstate(invalid="ignore", divide="ignore"):
            correlation[both] = (covariance / np.outer(errors, errors))[both]
        self.errors, self.correlation = errors, correlation

    # -- saving ----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary of the result (the fitted function is not included)."""
        out: dict[str, Any] = {}
        for key, value in self.items():
            if key == "history":
                out[key] = value.to_dict()
            elif key == "conditions":
                out[key] = {name: c.to_dict() for name, c in value.items()}
            elif key in ("parameter_shares", "direction_shares"):
                out[key] = None if value is None else {name: np.asarray(v).tolist() for name, v in value.items()}
            elif isinstance(value, np.ndarray):
                out[key] = value.tolist()
            elif isinstance(value, (np.floating, np.integer, np.bool_)):
                out[key] = value.item()
            else:
                out[key] = value
        return out

    def save(self, path: str | Path) -> None:
        """Write the result to a JSON file (infinite errors are written as ``Infinity``)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> "FitResult":
        """Read a result written by :meth:`save`."""
        data = json.loads(Path(path).read_text())
        for key in _ARRAYS:
            if data.get(key) is not None:
                data[key] = np.asarray(data[key])
        data["history"] = History.from_dict(data["history"])
        data["conditions"] = {name: ConditionDiagnostics(**c) for name, c in data["conditions"].items()}
        for key in ("parameter_shares", "direction_shares"):
            if data.get(key) is not None:
                data[key] = {name: np.asarray(v) for name, v in data[key].items()}
        return cls(data)


def _at_bound(x: np.ndarray, lower: np.ndarray, upper: np.ndarray, fixed: np.ndarray) -> np.ndarray:
    two = np.isfinite(lower) & np.isfinite(upper)
    with np.errstate(invalid="ignore"):
        scale = np.where(two, upper - lower, np.maximum(1.0, np.maximum(np.abs(np.nan_to_num(lower, posinf=0, neginf=0)),
                                                                         np.abs(np.nan_to_num(upper, posinf=0, neginf=0)))))
        low = np.isfinite(lower) & (x - lower <= AT_BOUND_TOL * scale)
        high = np.isfinite(upper) & (upper - x <= AT_BOUND_TOL * scale)
    return np.where(fixed, 0, np.where(low, -1, np.where(high, 1, 0)))


def assemble(problem: Problem, x_free: torch.Tensor, *, status: int, message: str, nfev: int, njev: int,
             nit: int, history: History, method: str, k: int | None, rtol: float | None,
             elapsed: float, exception: BaseException | None = None,
             fallback: tuple[torch.Tensor, torch.Tensor] | None = None) -> FitResult:
    """Build the :class:`FitResult` at free external values ``x_free``: residuals, Jacobian, diagnostics.

    ``fallback`` holds robust residuals and their Jacobian with respect to the free parameters at
    ``x_free``, used when ``fun`` can no longer be evaluated (a fit that ended because it raised).
    """
    space = problem.space
    x_full = space.full(x_free.detach())
    try:
        r, J_free = problem.jacobian(x_free.detach())
        r_robust, slope = robust_with_slope(r, problem.loss, problem.f_scale)
        J_free = slope[:, None] * J_free
    except Exception:
        if fallback is None:
            raise
        r = r_robust = fallback[0]
        J_free = fallback[1]
    free = space.free.cpu().numpy()
    x = space.to_numpy(x_full)
    lower, upper = space.lower.cpu().numpy(), space.upper.cpu().numpy()
    fixed = space.fixed.cpu().numpy()
    active_mask = _at_bound(x, lower, upper, fixed)
    at_bound = active_mask != 0
    J_np = J_free.detach().cpu().numpy()
    jac = np.zeros((problem.m, space.n))
    jac[:, free] = J_np
    r_np = r_robust.detach().cpu().numpy()
    grad = jac.T @ r_np
    active = np.flatnonzero(~fixed & ~at_bound)
    active_in_free = torch.as_tensor(np.searchsorted(free, active), device=J_free.device)
    blocks = {b.name: b.rows for b in problem.blocks}
    analysis = analyse(J_free[:, active_in_free], r_robust, blocks, space.names, active, k=k, rtol=rtol)
    cost = 0.5 * float(r_np @ r_np)
    chi2 = 2.0 * cost
    ndof = problem.m - analysis.rank
    result = FitResult(
        x=x, cost=cost, fun=r.detach().cpu().numpy(), jac=jac, grad=grad,
        optimality=float(np.max(np.abs(grad[active]))) if active.size else 0.0,
        active_mask=active_mask, nfev=nfev, njev=njev, nit=nit, status=status, message=message,
        success=status > 0, method=method, names=list(space.names), fixed=fixed, at_bound=at_bound,
        chi2=chi2, ndof=ndof, reduced_chi2=chi2 / ndof if ndof > 0 else float("nan"),
        pvalue=float(stats.chi2.sf(chi2, ndof)) if ndof > 0 else float("nan"),
        singular_values=analysis.singular_values, rank=analysis.rank, cond=analysis.cond,
        unconstrained=analysis.unconstrained, weakest=analysis.weakest, conditions=analysis.conditions,
        parameter_shares=analysis.parameter_shares, direction_shares=analysis.direction_shares,
        history=history, time=elapsed)
    result._set_covariance(analysis.covariance, "gauss-newton")
    object.__setattr__(result, "_problem", problem)
    object.__setattr__(result, "exception", exception)
    return result
