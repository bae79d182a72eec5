"""The Sven iteration: truncated-spectrum steps with Levenberg–Marquardt damping in spectral form.

Each iteration factorises the Jacobian once (:mod:`svenfit.engine.factor`), then tries steps
``δ = −lr · V diag(s/(s² + λ)) Uᵀ r``; a rejected step costs one residual evaluation, not a new
factorisation. λ adapts to the gain ratio ρ = actual / predicted reduction (Nielsen's rule). With a
fixed ``damping`` every finite step is taken (plain Sven for ``damping=0``), and the best point seen is
what is returned. With ``acceleration`` (adaptive damping only) each step carries a geodesic-acceleration
correction (one extra residual evaluation), which lets λ fall much further on strongly curved problems
such as PINNs; on small, mildly nonlinear fits it roughly doubles the evaluations, so it is off by
default. A step whose cost
is not finite is always retried with more damping (or a smaller learning rate), so the parameters never
become NaN. Stopping tests and status codes follow scipy's ``least_squares``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from .factor import Spectrum, factorize

STATUS_MESSAGES = {
    -5: "fun or jac raised an exception during the fit; the best point found is returned.",
    -4: "The residuals or the Jacobian became non-finite and damped retries did not recover; "
        "the best finite point found is returned.",
    -3: "Interrupted (KeyboardInterrupt); the best point found is returned.",
    -2: "Stopped by the callback (StopIteration); the best point found is returned.",
    0: "The maximum number of function evaluations is exceeded.",
    1: "`gtol` termination condition is satisfied (residuals orthogonal to the Jacobian columns).",
    2: "`ftol` termination condition is satisfied.",
    3: "`xtol` termination condition is satisfied.",
    4: "Both `ftol` and `xtol` termination conditions are satisfied.",
}
TIME_LIMIT_MESSAGE = "The time limit (max_time) is reached."

# Nielsen's initial damping, relative to the largest squared singular value.
INITIAL_DAMPING = 1e-3
# Cost changes below this fraction of the cost are rounding noise.
ROUNDING = 64 * np.finfo(float).eps
# Geodesic acceleration: finite-difference probe length along the step, and the largest accepted ratio
# of the correction to the step.
_PROBE = 0.1
_MAX_CORRECTION = 0.75
# Consecutive non-finite trial steps tolerated before giving up (λ grows by 2, 4, 8, … each time).
_MAX_NONFINITE = 12


@dataclass
class Settings:
    """Options of the Sven iteration (see :func:`svenfit.least_squares` for their meaning)."""

    ftol: float | None = 1e-8
    xtol: float | None = 1e-8
    gtol: float | None = 1e-8
    max_nfev: int | None = None
    max_time: float | None = None
    k: int | None = None
    rtol: float | None = None
    damping: str | float = "adaptive"
    lr: float = 1.0
    acceleration: bool = False
    factorization: str = "auto"
    x_scale: np.ndarray | str | None = None
    verbose: int = 0

    @property
    def adaptive(self) -> bool:
        return self.damping == "adaptive"


@dataclass
class History:
    """Per-iteration record of a fit (iteration 0 is the start); ``gain_ratio`` is actual over predicted
    reduction of the accepted step."""

    conditions: list[str]
    iteration: list[int] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    chi2: dict[str, list[float]] = field(default_factory=dict)
    damping: list[float] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)
    step_norm: list[float] = field(default_factory=list)
    gain_ratio: list[float] = field(default_factory=list)
    nfev: list[int] = field(default_factory=list)
    time: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.chi2 = {name: list(self.chi2.get(name, [])) for name in self.conditions}

    def record(self, iteration: int, r: torch.Tensor, blocks: dict[str, slice], damping: float, rank: int,
               step_norm: float, gain_ratio: float, nfev: int, elapsed: float) -> None:
        squares = (r.detach() ** 2)
        self.iteration.append(iteration)
        self.cost.append(0.5 * float(squares.sum()))
        for name, rows in blocks.items():
            self.chi2[name].append(float(squares[rows].sum()))
        self.damping.append(damping)
        self.rank.append(rank)
        self.step_norm.append(step_norm)
        self.gain_ratio.append(gain_ratio)
        self.nfev.append(nfev)
        self.time.append(elapsed)

    def to_dict(self) -> dict:
        return {"conditions": self.conditions, "iteration": self.iteration, "cost": self.cost,
                "chi2": self.chi2, "damping": self.damping, "rank": self.rank, "step_norm": self.step_norm,
                "gain_ratio": self.gain_ratio,
                "nfev": self.nfev, "time": self.time}

    @classmethod
    def from_dict(cls, data: dict) -> "History":
        return cls(**data)


@dataclass
class State:
    """What a callback sees after each iteration (internal coordinates)."""

    nit: int
    z: torch.Tensor
    residuals: torch.Tensor
    cost: float
    damping: float
    rank: int
    nfev: int
    njev: int


@dataclass
class Outcome:
    """The result of :func:`minimize`: the best point and how the iteration ended."""

    z: torch.Tensor
    residuals: torch.Tensor
    jacobian: torch.Tensor | None
    status: int
    message: str
    nfev: int
    njev: int
    nit: int
    history: History
    exception: BaseException | None = None


class _Stop(Exception):
    """Raised inside the loop to end it with a status."""

    def __init__(self, status: int, message: str | None = None):
        super().__init__(status)
        self.status, self.message = status, message or STATUS_MESSAGES[status]


def _finite(t: torch.Tensor) -> bool:
    return bool(torch.isfinite(t).all())


def minimize(residual: Callable[[torch.Tensor], torch.Tensor],
             jacobian: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]],
             z0: torch.Tensor, settings: Settings, blocks: dict[str, slice],
             callback: Callable[[State], None] | None = None,
             initial: tuple[torch.Tensor, torch.Tensor] | None = None) -> Outcome:
    """Minimise ``½‖r(z)‖²`` from ``z0`` with Sven steps.

    Parameters
    ----------
    residual : callable
        ``z -> r``, the residual vector.
    jacobian : callable
        ``z -> (r, J)``.
    z0 : Tensor
        Start; ``jacobian(z0)`` must be finite.
    settings : Settings
        Tolerances, truncation, damping and factorisation.
    blocks : dict
        Condition name -> row slice, for the per-condition history.
    callback : callable, optional
        Called with a :class:`State` after every iteration; raising ``StopIteration`` ends the fit.
    initial : tuple, optional
        ``(r, J)`` at ``z0`` if already computed.
    """
    start = time.perf_counter()
    history = History(list(blocks))
    z = z0
    r, J = initial if initial is not None else jacobian(z)
    cost = 0.5 * float(r @ r)
    counts = {"nfev": 1, "njev": 1}
    best = (z, r, J, cost)
    n = z.numel()
    max_nfev = settings.max_nfev if settings.max_nfev is not None else 100 * n
    scale = _initial_scale(settings.x_scale, J)
    lam: float | None = None
    nu = 2.0
    nit = 0
    pending_ftol = False
    floor_step: float | None = None
    history.record(0, r, blocks, float("nan"), 0, 0.0, float("nan"), counts["nfev"], 0.0)
    status, message, error = None, None, None
    try:
        while True:
            if settings.gtol is not None and _gradient_cosine(J, r) < settings.gtol:
                raise _Stop(1)
            if counts["nfev"] >= max_nfev:
                raise _Stop(0)
            if settings.max_time is not None and time.perf_counter() - start >= settings.max_time:
                raise _Stop(0, TIME_LIMIT_MESSAGE)
            if isinstance(settings.x_scale, str):
                scale = torch.maximum(scale, torch.linalg.vector_norm(J, dim=0))
            d = 1.0 / scale
            spectrum = factorize(J * d[None, :], method=settings.factorization, k=settings.k,
                                 rtol=settings.rtol, damped=settings.adaptive or float(settings.damping) > 0)
            b = spectrum.project(r)
            undamped_gain = spectrum.predicted_reduction(b, 0.0)
            floor = ROUNDING * cost
            if pending_ftol and floor < undamped_gain <= settings.ftol * cost:
                raise _Stop(2)
            s2 = spectrum.s_max ** 2
            if lam is None:
                lam = INITIAL_DAMPING * s2 if settings.adaptive else float(settings.damping) * s2
            lr = settings.lr
            nonfinite = 0
            termination, accept, at_floor = None, False, False
            while True:
                step = d * spectrum.step(b, lam, lr)
                if settings.adaptive and settings.acceleration:
                    step, curved = _accelerated(residual, z, r, J, step, spectrum, d, lam, lr)
                    counts["nfev"] += 1
                    if curved:
                        # The second-order correction is not small against the step: the linear model
                        # cannot be trusted this far. Shorten the step without counting a failure (the
                        # cost has not been tried), so λ does not escalate as after a rejected step.
                        lam *= 2.0
                        if counts["nfev"] >= max_nfev:
                            break
                        continue
                z_new = z + step
                r_new = residual(z_new)
                counts["nfev"] += 1
                cost_new = 0.5 * float(r_new @ r_new)
                if not math.isfinite(cost_new):
                    nonfinite += 1
                    if nonfinite > _MAX_NONFINITE:
                        raise _Stop(-4)
                    if settings.adaptive:
                        lam, nu = max(lam, 1e-300) * nu, 2.0 * nu
                    else:
                        lr /= 2.0
                    continue
                actual = cost - cost_new
                predicted = spectrum.predicted_reduction(b, lam, lr)
                ratio = actual / predicted if predicted > 0 else -1.0
                step_norm = float(torch.linalg.vector_norm(step))
                termination = _termination(actual, cost, step_norm, float(torch.linalg.vector_norm(z)), ratio,
                                           settings)
                # Once even the undamped model gains less than rounding, the cost cannot judge the step.
                # The Gauss-Newton step is still accurate there: take such steps while they keep
                # shrinking, and stop when they no longer do.
                at_floor = undamped_gain <= floor and actual >= -floor
                if at_floor and termination is None and floor_step is not None and step_norm > 0.5 * floor_step:
                    termination = 2
                accept = (actual > 0 or at_floor) if settings.adaptive else True
                if settings.adaptive:
                    if accept:
                        lam *= nielsen_decrease(ratio)
                        nu = 2.0
                    else:
                        lam, nu = lam * nu, 2.0 * nu
                if accept or termination is not None or counts["nfev"] >= max_nfev:
                    break
            if accept:
                z = z_new
                r, J = jacobian(z)
                counts["njev"] += 1
                if not (_finite(r) and _finite(J)):
                    raise _Stop(-4)
                cost = 0.5 * float(r @ r)
                if cost <= best[3] + floor:
                    best = (z, r, J, cost)
                nit += 1
                history.record(nit, r, blocks, lam / s2 if s2 > 0 else 0.0, spectrum.rank, step_norm, ratio,
                               counts["nfev"], time.perf_counter() - start)
                if settings.verbose >= 2:
                    print(f"iteration {nit:4d}  cost {cost:.6e}  step {step_norm:.3e}  "
                          f"damping {lam / s2 if s2 else 0.0:.2e}  rank {spectrum.rank}")
                if callback is not None:
                    callback(State(nit, z, r, cost, lam, spectrum.rank, counts["nfev"], counts["njev"]))
            if termination == 3 and nonfinite and not accept:
                # The step shrank below xtol only because every longer one was non-finite.
                raise _Stop(-4)
            # A small ftol reduction is confirmed at the next point by the undamped model (so a step
            # shortened by heavy damping does not end the fit); xtol ends it at once.
            pending_ftol = termination == 2 and accept and not at_floor
            floor_step = step_norm if at_floor else None
            if termination is not None and not pending_ftol:
                raise _Stop(termination)
    except _Stop as stop:
        status, message = stop.status, stop.message
    except StopIteration:
        status, message = -2, STATUS_MESSAGES[-2]
    except KeyboardInterrupt:
        status, message = -3, STATUS_MESSAGES[-3]
    except Exception as exc:  # noqa: BLE001 - a failure mid-fit must not lose the best point
        status, error = -5, exc
        message = f"{STATUS_MESSAGES[-5][:-1]}: {type(exc).__name__}: {exc}"
    z_best, r_best, J_best, _ = best
    return Outcome(z_best, r_best, J_best, status, message, counts["nfev"], counts["njev"], nit, history, error)


def _initial_scale(x_scale: np.ndarray | str | None, J: torch.Tensor) -> torch.Tensor:
    """Column scale ``1/x_scale`` (or the running Jacobian column norms for ``x_scale="jac"``)."""
    ones = torch.ones(J.shape[1], dtype=J.dtype, device=J.device)
    if x_scale is None:
        return ones
    if isinstance(x_scale, str):
        norms = torch.linalg.vector_norm(J, dim=0)
        return torch.where(norms > 0, norms, ones)
    return 1.0 / torch.as_tensor(x_scale, dtype=J.dtype, device=J.device).expand(J.shape[1])


def nielsen_decrease(ratio: float) -> float:
    """Nielsen's factor for λ after a step with gain ratio ``ratio > 0``: 1/3 for a perfect model, up to
    2 for a poor one."""
    return max(1.0 / 3.0, 1.0 - (2.0 * ratio - 1.0) ** 3)


def _accelerated(residual: Callable[[torch.Tensor], torch.Tensor], z: torch.Tensor, r: torch.Tensor,
                 J: torch.Tensor, velocity: torch.Tensor, spectrum: Spectrum, d: torch.Tensor, lam: float,
                 lr: float) -> tuple[torch.Tensor, bool]:
    """Geodesic acceleration (Transtrum & Sethna 2012): the step plus half its second-order correction.

    The second directional derivative of r along the step comes from one extra residual evaluation,
    ``r_vv ≈ (2/h)((r(z + h v) − r)/h − J v)``, and is solved through the same filtered spectrum. Returns
    the corrected step and whether the correction is too large (``2‖a‖ > 0.75 ‖v‖``) to take it; a
    non-finite probe leaves the plain step, which the caller then tries.
    """
    probe = residual(z + _PROBE * velocity)
    if not _finite(probe):
        return velocity, False
    second = (2.0 / _PROBE) * ((probe - r) / _PROBE - J @ velocity)
    correction = d * spectrum.step(spectrum.project(second), lam, lr)
    curved = 2.0 * float(torch.linalg.vector_norm(correction)) > _MAX_CORRECTION * float(torch.linalg.vector_norm(velocity))
    return velocity + 0.5 * correction, curved


def _gradient_cosine(J: torch.Tensor, r: torch.Tensor) -> float:
    """MINPACK's scale-free gradient test: the largest |cos| between r and a Jacobian column."""
    r_norm = float(torch.linalg.vector_norm(r))
    if r_norm == 0.0:
        return 0.0
    columns = torch.linalg.vector_norm(J, dim=0)
    cosines = torch.where(columns > 0, (J.T @ r).abs() / (columns * r_norm), torch.zeros_like(columns))
    return float(cosines.max())


def _termination(actual: float, cost: float, step_norm: float, z_norm: float, ratio: float,
                 settings: Settings) -> int | None:
    """scipy's ``check_termination``: ftol on the actual reduction, xtol on the step."""
    ftol_ok = settings.ftol is not None and actual >= 0 and actual < settings.ftol * cost and ratio > 0.25
    xtol_ok = settings.xtol is not None and step_norm < settings.xtol * (settings.xtol + z_norm)
    if ftol_ok and xtol_ok:
        return 4
    if ftol_ok:
        return 2
    if xtol_ok:
        return 3
    return None
