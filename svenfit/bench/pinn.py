"""``svenfit bench pinn``: Sven on the standard PINN problems, against Adam and L-BFGS at equal time.

Measures, on this machine:
- 2-D Poisson: relative L2 error of Sven at 30, 60 and 120 s; Adam and L-BFGS (strong Wolfe) at 60 s;
- 1+1-D heat: Sven at 60 s; viscous Burgers: Sven within a budget;
- a 2→64→64→48→48→1 network (about 10k parameters) on Poisson: Sven's step time and peak memory on the
  sample-space Gram path (run in a fresh process so its peak memory is its own);
- the Jacobian of the Poisson residual built point by point against differentiating the stacked residual.
"""

from __future__ import annotations

import copy
import json
import resource
import subprocess
import sys
import time
from typing import Callable

import torch

from ..api import least_squares
from ..parameters import ModuleLayout, ParameterSpace
from ..pde.problems import PINNProblem, burgers, heat_1d, mlp, poisson_2d
from ..problem import Problem
from .markdown import machine, table, write_section


def _sven_errors(problem: PINNProblem, marks: list[float]) -> tuple[dict[float, float], object]:
    """Run Sven for ``max(marks)`` seconds, recording the relative L2 error at each mark."""
    snapshot = copy.deepcopy(problem.model)
    errors: dict[float, float] = {}
    pending = sorted(marks)
    started = time.perf_counter()

    def callback(intermediate_result) -> None:
        while pending and time.perf_counter() - started >= pending[0]:
            ModuleLayout.of(snapshot).write_back(torch.as_tensor(intermediate_result.x))
            errors[pending.pop(0)] = problem.error(snapshot)

    result = least_squares(problem.conditions, problem.model, max_time=max(marks), ftol=1e-15, xtol=1e-15,
                           gtol=1e-15, max_nfev=10**8, callback=callback, acceleration=True)
    for mark in pending:  # converged before the mark: the final error stands
        errors[mark] = problem.error()
    return errors, result


def _loss(problem: PINNProblem) -> Callable[[], torch.Tensor]:
    conditions = problem.conditions(problem.model)
    return lambda: 0.5 * sum(torch.sum(c.values(problem.model) ** 2) for c in conditions.values())


def _first_order(problem: PINNProblem, seconds: float, make: Callable, closure_steps: bool) -> tuple[float, int]:
    """Train with a torch optimizer for ``seconds``; return the error and the number of steps."""
    loss = _loss(problem)
    optimizer = make(problem.model.parameters())
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        def closure():
            optimizer.zero_grad()
            value = loss()
            value.backward()
            return value
        if closure_steps:
            optimizer.step(closure)
        else:
            closure()
            optimizer.step()
        steps += 1
    return problem.error(), steps


def _jacobian_speed(problem: PINNProblem) -> tuple[float, float, float]:
    """Seconds to build the Poisson Jacobian point by point and as one stacked residual; max difference."""
    space = ParameterSpace(problem.model, None, (-float("inf"), float("inf")), torch.float64, None)
    pointwise = Problem(problem.conditions, space)
    stacked = Problem(lambda m: {name: c.values(m) for name, c in problem.conditions(m).items()}, space)
    x = space.x0
    timings = []
    for candidate in (pointwise, stacked):
        candidate.jacobian(x)
        started = time.perf_counter()
        _, J = candidate.jacobian(x)
        timings.append((time.perf_counter() - started, J))
    difference = float((timings[0][1] - timings[1][1]).abs().max() / timings[1][1].abs().max())
    return timings[0][0], timings[1][0], difference


def large_network(seconds: float = 20.0) -> dict:
    """Poisson with a 2→64→64→48→48→1 network: step time and peak memory (call in a fresh process)."""
    problem = poisson_2d()
    problem.model = mlp([2, 64, 64, 48, 48, 1])
    parameters = sum(p.numel() for p in problem.model.parameters())
    result = least_squares(problem.conditions, problem.model, max_time=seconds, ftol=1e-15, xtol=1e-15,
                           gtol=1e-15, max_nfev=10**8, factorization="gram", acceleration=True)
    steps = max(result.nit, 1)
    return {"parameters": parameters, "iterations": result.nit, "seconds per iteration": result.time / steps,
            "peak RSS MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "error": problem.error()}


def run(write: bool = True, poisson_seconds: float = 120.0, burgers_seconds: float = 240.0) -> str:
    """Run the PINN suite and return (and write) its Markdown section."""
    marks = [m for m in (10.0, 30.0, 60.0, 120.0) if m <= poisson_seconds]
    poisson_errors, poisson_result = _sven_errors(poisson_2d(), marks)
    adam_error, adam_steps, adam_lr = min(
        (*_first_order(poisson_2d(), 60.0, lambda p, lr=lr: torch.optim.Adam(p, lr=lr), False), lr)
        for lr in (1e-3, 1e-2))
    lbfgs_error, lbfgs_steps = _first_order(
        poisson_2d(), 60.0, lambda p: torch.optim.LBFGS(p, lr=1.0, history_size=50, max_iter=20,
                                                        line_search_fn="strong_wolfe"), True)
    heat_marks = [10.0, 30.0, 60.0]
    heat_errors, _ = _sven_errors(heat_1d(), heat_marks)
    burgers_problem = burgers()
    burgers_marks = [60.0, 120.0, burgers_seconds]
    burgers_errors, burgers_result = _sven_errors(burgers_problem, burgers_marks)
    sizes = {name: cond.n_points for name, cond in burgers_problem.conditions(burgers_problem.model).items()}
    t_point, t_stacked, difference = _jacobian_speed(poisson_2d())
    big = json.loads(subprocess.run([sys.executable, "-c", "import json; from svenfit.bench.pinn import "
                                     "large_network; print(json.dumps(large_network()))"],
                                    capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
    at = lambda errors, marks: [f"{errors[m]:.2e} @ {m:.0f} s" for m in marks]  # noqa: E731
    rows = [["2-D Poisson, 2→64→1 (257 params), 900 + 120 points", *at(poisson_errors, marks[-3:]),
             f"Adam {adam_error:.2e} (lr {adam_lr:g}, {adam_steps} steps), L-BFGS {lbfgs_error:.2e} "
             f"({lbfgs_steps} steps) @ 60 s"],
            ["1+1-D heat, 2→64→1, 900 + 120 points", *at(heat_errors, heat_marks), ""],
            [f"viscous Burgers, 2→20→20→20→1 (921 params), {sizes['pde']} + "
             f"{sizes['initial'] + sizes['boundary']} points", *at(burgers_errors, burgers_marks), ""]]
    body = "\n".join([
        "## PINN: Sven against Adam and L-BFGS",
        "",
        f"Machine: {machine()}. float64, Sobol collocation points, seeded initialisation; relative L2 error "
        "against the exact (Poisson, heat) or Cole–Hopf (Burgers) solution on a 101-point-per-axis grid "
        "(101 × 201 for Burgers). Sven runs with geodesic acceleration. Adam (the better of lr 1e-3 and 1e-2) "
        "and L-BFGS (strong Wolfe, history 50) minimise the same ½‖r‖² for the same wall time.",
        "",
        table(["problem", "Sven", "Sven", "Sven", "peers at equal time"], rows),
        "",
        f"Sven on Poisson: {poisson_result.nit} iterations in {poisson_result.time:.0f} s "
        f"({1e3 * poisson_result.time / max(poisson_result.nit, 1):.0f} ms each); Burgers: {burgers_result.nit} "
        f"iterations in {burgers_result.time:.0f} s.",
        "",
        f"Large network 2→64→64→48→48→1 ({big['parameters']} parameters, 1020 rows, sample-space Gram "
        f"path): {1e3 * big['seconds per iteration']:.0f} ms per iteration, peak resident memory "
        f"{big['peak RSS MiB']:.0f} MiB for the whole process, error {big['error']:.2e} after "
        f"{big['iterations']} iterations (20 s).",
        "",
        f"Jacobian of the Poisson residual (1020 × 257): point by point {1e3 * t_point:.1f} ms, stacked residual "
        f"{1e3 * t_stacked:.0f} ms ({t_stacked / t_point:.0f}× slower); largest relative difference {difference:.1e}.",
    ])
    if write:
        write_section("pinn", body)
    return body
