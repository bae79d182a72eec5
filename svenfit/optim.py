"""Sven as a :class:`torch.optim.Optimizer` for ``nn.Module`` training loops.

Each :meth:`Sven.step` evaluates the closure's residuals on the current minibatch, forms their Jacobian
with respect to every trainable parameter in one batched backward pass, factorises it
(:func:`svenfit.engine.factor.factorize`) and moves the parameters by the spectrally filtered step
``δ = −lr · V diag(s/(s² + λ)) Uᵀ r``. The truncated SVD couples all parameters, so the optimizer takes one
global step over all of them: every parameter group must carry the same hyper-parameters.

The step is always checked at the trial point with one more closure evaluation on the same minibatch: a
step whose cost is not finite is never kept, so the parameters never become NaN. With ``damping="adaptive"``
the closure's cost also drives Nielsen's rule for λ, which the optimizer state carries from one minibatch
to the next.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from numbers import Integral, Real
from typing import Any

import torch

from .engine.factor import FACTORIZATIONS, Spectrum, factorize
from .engine.sven import INITIAL_DAMPING, ROUNDING, nielsen_decrease

Residuals = torch.Tensor | Mapping[str, torch.Tensor]

_HYPER_PARAMETERS = ("lr", "k", "rtol", "damping", "factorization")
# Trial steps per call: λ grows by ν = 2, 4, 8, … (adaptive) or lr halves (fixed damping) after each rejection.
_MAX_TRIES = 8
# Range of the adaptive λ/σ₁²: it must neither reach 0 (where growing it does nothing) nor overflow.
_DAMPING_RANGE = (1e-30, 1e16)


class Sven(torch.optim.Optimizer):
    """Singular Value dEsceNt: minimum-norm, optionally damped, steps from the residual Jacobian's SVD.

    Parameters
    ----------
    params : iterable of Tensor or of dict
        The parameters to train, or parameter groups. All groups must share the hyper-parameters below
        (the step couples every parameter); only parameters with ``requires_grad`` are updated.
    lr : float
        Step length multiplier; ``lr=1`` with ``damping=0`` is plain Sven (the minimum-norm Gauss–Newton
        step on each minibatch).
    k : int, optional
        Keep at most this many singular triplets of the Jacobian.
    rtol : float, optional
        Keep only singular values above ``rtol · σ₁``; defaults as in :func:`svenfit.least_squares`.
    damping : float or "adaptive"
        A number fixes λ = ``damping`` · σ₁² on every step (Levenberg–Marquardt in spectral form; 0 is
        undamped). ``"adaptive"`` starts at λ = 1e-3 σ₁² and adapts λ/σ₁² by Nielsen's gain-ratio rule,
        rejecting (and retrying within the same call) steps that do not lower the minibatch cost.
    factorization : {"auto", "dense", "gram", "randomized"}
        How to factorise the Jacobian (see :func:`svenfit.engine.factor.factorize`).

    Notes
    -----
    The hyper-parameters are read from the parameter groups at every step (so learning-rate schedulers
    work) after checking that all groups agree. ``optimizer.state`` holds one entry, under the first
    parameter, so that ``state_dict()`` / ``load_state_dict()`` carry it:

    - ``step``: number of :meth:`step` calls;
    - ``cost``: ½‖r‖² before the last step; ``rank``: kept singular values in the last step;
    - ``accepted``: whether the last step moved the parameters;
    - ``damping``: λ/σ₁² the next step starts from; ``nu``: Nielsen's growth factor (adaptive only).

    The closure is evaluated with gradients enabled, also at the trial points (its output is detached
    there), so closures that differentiate with respect to their inputs, as PINN residuals do, work
    unchanged. The optimizer never reads or writes ``.grad``.

    Examples
    --------
    >>> opt = Sven(model.parameters(), damping="adaptive")  # doctest: +SKIP
    >>> for xb, yb in loader:  # doctest: +SKIP
    ...     opt.step(lambda: {"data": (model(xb).squeeze(-1) - yb) / sigma})
    """

    def __init__(self, params: Iterable[torch.Tensor] | Iterable[dict[str, Any]], lr: float = 1.0,
                 k: int | None = None, rtol: float | None = None, damping: float | str = 1e-3,
                 factorization: str = "auto") -> None:
        defaults = {"lr": lr, "k": k, "rtol": rtol, "damping": damping, "factorization": factorization}
        _check_hyper_parameters(defaults)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group; its hyper-parameters must equal those of the existing groups."""
        settings = {name: param_group.get(name, self.defaults[name]) for name in _HYPER_PARAMETERS}
        _check_hyper_parameters(settings)
        if self.param_groups:
            _check_same(settings, self.param_groups[0])
        super().add_param_group(param_group)

    @torch.no_grad()
    def step(self, closure: Callable[[], Residuals] | None = None) -> torch.Tensor:  # type: ignore[override]
        """Take one Sven step on the residuals the closure returns.

        Parameters
        ----------
        closure : callable
            Called without arguments; returns the residuals at the current parameters, either one tensor
            (0-d or 1-D) or a mapping name -> tensor (each 0-d or 1-D, stacked in order). It is called
            once more per trial step, on the same minibatch.

        Returns
        -------
        Tensor
            The 0-d, detached cost ½‖r‖² at the parameters before the step.
        """
        if closure is None:
            raise ValueError("Sven.step needs a closure that returns the residuals at the current parameters")
        settings = _settings_of(self.param_groups)
        params = [p for group in self.param_groups for p in group["params"] if p.requires_grad]
        if not params:
            raise ValueError("Sven has no parameter that requires grad")
        with torch.enable_grad():
            blocks = _blocks(closure())
            r = torch.cat(list(blocks.values()))
            for name, block in blocks.items():
                if not bool(torch.isfinite(block).all()):
                    raise ValueError(f"residual {name!r} is not finite at the current parameters")
            J = _jacobian(r, params)
        r = r.detach()
        if not bool(torch.isfinite(J).all()):
            raise ValueError("the Jacobian of the residuals is not finite at the current parameters")
        damped = settings["damping"] == "adaptive" or float(settings["damping"]) > 0
        spectrum = factorize(J, method=settings["factorization"], k=settings["k"], rtol=settings["rtol"],
                             damped=damped)
        b = spectrum.project(r)
        cost = 0.5 * r.dot(r)
        state = self.state[self.param_groups[0]["params"][0]]
        trial = _Trial(closure, params, spectrum, b)
        try:
            if settings["damping"] == "adaptive":
                accepted = _adaptive(trial, state, float(cost), settings["lr"])
            else:
                accepted = _fixed(trial, float(settings["damping"]), settings["lr"])
                state["damping"] = float(settings["damping"])
        except BaseException:
            trial.restore()
            raise
        if not accepted:
            trial.restore()
        state.update(step=state.get("step", 0) + 1, cost=float(cost), rank=spectrum.rank, accepted=accepted)
        return cost


class _Trial:
    """Trial points ``θ₀ + δ(λ, lr)`` and their cost, remembering ``θ₀`` to restore it."""

    def __init__(self, closure: Callable[[], Residuals], params: list[torch.Tensor], spectrum: Spectrum,
                 b: torch.Tensor) -> None:
        self.closure, self.params, self.spectrum, self.b = closure, params, spectrum, b
        self.start = [p.detach().clone() for p in params]

    def cost(self, damping: float, lr: float) -> float:
        """Move the parameters to the trial point and return its cost (``nan`` if not finite)."""
        delta = self.spectrum.step(self.b, damping, lr).split([p.numel() for p in self.params])
        for p, p0, d in zip(self.params, self.start, delta):
            p.copy_(p0 + d.view_as(p0))
        with torch.enable_grad():
            r = torch.cat(list(_blocks(self.closure()).values())).detach()
        cost = 0.5 * float(r.dot(r))
        return cost if math.isfinite(cost) else math.nan

    def restore(self) -> None:
        for p, p0 in zip(self.params, self.start):
            p.copy_(p0)


def _adaptive(trial: _Trial, state: dict[str, Any], cost: float, lr: float) -> bool:
    """Nielsen's rule: try steps with growing λ until one lowers the cost; update λ/σ₁² and ν in ``state``."""
    damping, nu = _clamp(state.get("damping", INITIAL_DAMPING)), state.get("nu", 2.0)
    s2 = trial.spectrum.s_max ** 2
    floor = ROUNDING * cost
    accepted = False
    for _ in range(_MAX_TRIES):
        lam = damping * s2
        actual = cost - trial.cost(lam, lr)
        predicted = trial.spectrum.predicted_reduction(trial.b, lam, lr)
        # Once the model predicts less than rounding, the cost cannot judge the step: take it unless
        # it is clearly worse, and count it as a good one so that λ keeps shrinking.
        judged = predicted > floor
        if math.isfinite(actual) and (actual > 0 if judged else actual >= -floor):
            ratio = actual / predicted if judged else 1.0
            damping = _clamp(damping * nielsen_decrease(ratio))
            nu, accepted = 2.0, True
            break
        damping, nu = _clamp(damping * nu), 2.0 * nu
    state.update(damping=damping, nu=nu)
    return accepted


def _clamp(damping: float) -> float:
    low, high = _DAMPING_RANGE
    return min(max(damping, low), high)


def _fixed(trial: _Trial, damping: float, lr: float) -> bool:
    """Take the step with λ = ``damping`` · σ₁², halving lr while the trial cost is not finite."""
    lam = damping * trial.spectrum.s_max ** 2
    for attempt in range(_MAX_TRIES):
        if math.isfinite(trial.cost(lam, lr * 0.5 ** attempt)):
            return True
    return False


def _blocks(residuals: Residuals) -> dict[str, torch.Tensor]:
    """The closure's residuals as named 1-D blocks, checking their types and shapes."""
    if isinstance(residuals, torch.Tensor):
        items = {"residuals": residuals}
    elif isinstance(residuals, Mapping):
        if not residuals:
            raise ValueError("the closure returned an empty mapping of residuals")
        items = dict(residuals)
    else:
        raise TypeError(f"the closure must return a residual tensor or a mapping name -> tensor, "
                        f"got {type(residuals).__name__}")
    for name, block in items.items():
        if not isinstance(block, torch.Tensor):
            raise TypeError(f"residual {name!r} must be a tensor, got {type(block).__name__}")
        if block.dim() > 1:
            raise ValueError(f"residual {name!r} has shape {tuple(block.shape)}; each residual must be a 0-d "
                             "or 1-D tensor (flatten it)")
    blocks = {name: block.reshape(-1) for name, block in items.items()}
    if sum(block.numel() for block in blocks.values()) == 0:
        raise ValueError("the closure returned no residuals")
    return blocks


def _jacobian(r: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    """The (m, n) Jacobian of ``r`` w.r.t. the flattened ``params``: one batched backward pass over rows."""
    m = r.numel()
    columns: list[torch.Tensor | None] = [None] * len(params)
    if r.requires_grad:
        eye = torch.eye(m, dtype=r.dtype, device=r.device)
        columns = list(torch.autograd.grad(r, params, grad_outputs=eye, is_grads_batched=True, allow_unused=True))
    return torch.cat([p.new_zeros(m, p.numel()) if g is None else g.reshape(m, -1)
                      for p, g in zip(params, columns)], dim=1)


def _check_hyper_parameters(settings: dict[str, Any]) -> None:
    lr, k, rtol, damping = settings["lr"], settings["k"], settings["rtol"], settings["damping"]
    if not _real(lr) or not (math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if k is not None and (isinstance(k, bool) or not isinstance(k, Integral) or k < 1):
        raise ValueError(f"k must be a positive integer or None, got {k!r}")
    if rtol is not None and (not _real(rtol) or not 0 <= rtol < 1):
        raise ValueError(f"rtol must lie in [0, 1) or be None, got {rtol!r}")
    if damping != "adaptive" and (not _real(damping) or not (math.isfinite(damping) and damping >= 0)):
        raise ValueError(f"damping must be 'adaptive' or a non-negative finite number, got {damping!r}")
    if settings["factorization"] not in FACTORIZATIONS:
        raise ValueError(f"factorization must be one of {FACTORIZATIONS}, got {settings['factorization']!r}")


def _real(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _check_same(settings: dict[str, Any], reference: dict[str, Any]) -> None:
    for name in _HYPER_PARAMETERS:
        if settings[name] != reference[name]:
            raise ValueError(f"all parameter groups of Sven must share {name!r} (one SVD step couples every "
                             f"parameter), got {settings[name]!r} and {reference[name]!r}")


def _settings_of(groups: list[dict[str, Any]]) -> dict[str, Any]:
    settings = {name: groups[0][name] for name in _HYPER_PARAMETERS}
    _check_hyper_parameters(settings)
    for group in groups[1:]:
        _check_same(group, settings)
    return settings
