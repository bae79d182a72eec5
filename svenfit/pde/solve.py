"""Fitting a PINN problem within a time budget, with its report and plots."""

from __future__ import annotations

from pathlib import Path

from ..api import least_squares
from ..result import FitResult
from . import plots
from .problems import PINNProblem


def solve(problem: PINNProblem, seconds: float, out: str | Path | None = None, **options) -> FitResult:
    """Fit ``problem`` with Sven for at most ``seconds``, print its error, and write plots into ``out``.

    Tolerances are set to run for the whole budget unless the fit converges to rounding first; other
    ``options`` go to :func:`svenfit.least_squares`.
    """
    settings = dict(max_time=seconds, ftol=1e-15, xtol=1e-15, gtol=1e-15, max_nfev=10**8, acceleration=True)
    settings.update(options)
    result = least_squares(problem.conditions, problem.model, **settings)
    print(f"{problem.name}: relative L2 error {problem.error():.3e} after {result.time:.1f} s, "
          f"{result.nit} iterations ({result.message})")
    print("  per condition Σr²: " + ", ".join(f"{name} {c.chi2:.3e}" for name, c in result.conditions.items()))
    if out is not None:
        plots.solution_and_error(problem, Path(out) / "solution.png")
        plots.loss_history(result, Path(out) / "loss.png")
    return result
