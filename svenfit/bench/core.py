"""``svenfit bench core``: Sven against scipy's trf and lm on the standard problem panel.

Every solver runs on the same problem from the same start. scipy is timed twice: through svenfit's
front door (same torch residuals and autograd Jacobian, so only the algorithm differs) and as a user
would call it directly (numpy residuals, its default 2-point finite differences).
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import numpy as np
from scipy import optimize

import svenfit

from .markdown import machine, table, write_section
from .problems import PANEL, TestProblem


def _timed(run: Callable[[], object], repeats: int) -> tuple[object, float]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def _runs(problem: TestProblem) -> dict[str, Callable[[], object]]:
    torch_fun, numpy_fun, x0 = problem.torch_fun(), problem.numpy_fun(), np.array(problem.x0)
    return {
        "sven": lambda: svenfit.least_squares(torch_fun, x0),
        "trf (svenfit)": lambda: svenfit.least_squares(torch_fun, x0, method="trf"),
        "lm (svenfit)": lambda: svenfit.least_squares(torch_fun, x0, method="lm"),
        "trf (scipy)": lambda: optimize.least_squares(numpy_fun, x0, method="trf"),
        "lm (scipy)": lambda: optimize.least_squares(numpy_fun, x0, method="lm"),
    }


def run(repeats: int = 5, write: bool = True) -> str:
    """Run the panel, return the Markdown section (and write it into docs/benchmarks.md)."""
    svenfit.least_squares(PANEL[0].torch_fun(), PANEL[0].x0)  # warm torch.func up outside the timings
    rows = []
    for problem in PANEL:
        measured = {name: _timed(call, repeats) for name, call in _runs(problem).items()}
        sven, t_sven = measured["sven"]
        row = [problem.name, f"{sven.cost:.6g}", f"{sven.nfev}/{sven.njev}", f"{t_sven * 1e3:.1f}"]
        for name in ("trf (svenfit)", "lm (svenfit)", "trf (scipy)", "lm (scipy)"):
            result, seconds = measured[name]
            row.append(f"{result.nfev} · {seconds / t_sven:.2f}× · {result.cost:.6g}")
        rows.append(row)
    header = ["problem", "sven cost", "sven nfev/njev", "sven ms", "trf via svenfit: nfev · time ratio · cost",
              "lm via svenfit", "scipy trf (2-point)", "scipy lm (2-point)"]
    body = "\n".join([
        "## Core: the problem panel against scipy",
        "",
        f"Machine: {machine()}. Median of {repeats} runs each, default tolerances. A time ratio is the "
        "peer's wall time over Sven's (above 1: Sven is faster). \"via svenfit\" runs scipy's solver on "
        "svenfit's torch residuals and autograd Jacobian, so only the algorithm differs; \"scipy\" is "
        "scipy called directly on numpy residuals with its default finite differences (its nfev then "
        "includes the difference evaluations).",
        "",
        table(header, rows),
    ])
    if write:
        write_section("core", body)
    return body
