"""The front door: :func:`least_squares` and :func:`curve_fit`, with scipy's signatures."""

from __future__ import annotations

import inspect
import time
from collections.abc import Mapping, Sequence
from typing import Any, Callable

import numpy as np
import torch
from scipy import optimize

from .engine import sven
from .engine.factor import FACTORIZATIONS
from .engine.jacobian import JAC_METHODS
from .losses import check_loss
from .parameters import ParameterSpace
from .problem import Problem
from .result import FitResult, assemble

METHODS = ("sven", "trf", "dogbox", "lm")


def _check_options(method: str, jac: Any, ftol: float | None, xtol: float | None, gtol: float | None,
                   k: int | None, rtol: float | None, damping: Any, lr: float, factorization: str,
                   max_nfev: int | None) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not (callable(jac) or jac in JAC_METHODS):
        raise ValueError(f"jac must be one of {JAC_METHODS} or a callable, got {jac!r}")
    tolerances = [t for t in (ftol, xtol, gtol) if t is not None]
    if any(not (t >= 0) for t in tolerances):
        raise ValueError("ftol, xtol and gtol must be non-negative or None")
    if not any(t > np.finfo(float).eps for t in tolerances):
        raise ValueError("at least one of ftol, xtol, gtol must be above machine epsilon")
    if k is not None and (int(k) != k or k < 1):
        raise ValueError(f"k must be a positive integer, got {k!r}")
    if rtol is not None and not 0 <= rtol < 1:
        raise ValueError(f"rtol must lie in [0, 1), got {rtol!r}")
    if damping != "adaptive" and not (isinstance(damping, (int, float)) and damping >= 0):
        raise ValueError(f"damping must be 'adaptive' or a non-negative number, got {damping!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    if factorization not in FACTORIZATIONS:
        raise ValueError(f"factorization must be one of {FACTORIZATIONS}, got {factorization!r}")
    if max_nfev is not None and max_nfev < 1:
        raise ValueError(f"max_nfev must be positive, got {max_nfev!r}")


def _check_residuals(problem: Problem, r0: torch.Tensor) -> None:
    bad = ~torch.isfinite(r0)
    for block in problem.blocks:
        rows = torch.nonzero(bad[block.rows]).reshape(-1).tolist()
        if rows:
            shown = ", ".join(map(str, rows[:10])) + (", …" if len(rows) > 10 else "")
            raise ValueError(f"condition {block.name!r} has non-finite residuals at x0 in rows [{shown}] "
                             f"({len(rows)} of {block.size})")


def _callback_adapter(callback: Callable[..., Any] | None, problem: Problem) -> Callable[[sven.State], None] | None:
    """Wrap a scipy-style callback (``callback(intermediate_result)`` or ``callback(x)``)."""
    if callback is None:
        return None
    parameters = list(inspect.signature(callback).parameters)
    wants_result = parameters == ["intermediate_result"]
    space = problem.space

    def call(state: sven.State) -> None:
        x = space.to_numpy(space.full(space.transform.to_external(state.z)))
        if wants_result:
            callback(intermediate_result=optimize.OptimizeResult(
                x=x, cost=state.cost, fun=state.residuals.detach().cpu().numpy(), nit=state.nit,
                nfev=state.nfev, njev=state.njev, damping=state.damping, rank=state.rank))
        else:
            callback(x)

    return call


def least_squares(fun: Callable[..., Any], x0: Any, jac: str | Callable[..., Any] = "autograd",
                  bounds: Any = (-np.inf, np.inf), method: str = "sven", ftol: float | None = 1e-8,
                  xtol: float | None = 1e-8, gtol: float | None = 1e-8, x_scale: Any = None,
                  loss: str = "linear", f_scale: float = 1.0, max_nfev: int | None = None, verbose: int = 0,
                  args: Sequence[Any] = (), kwargs: Mapping[str, Any] | None = None,
                  callback: Callable[..., Any] | None = None, *, names: Sequence[str] | None = None,
                  weights: Mapping[str, float] | None = None, k: int | None = None, rtol: float | None = None,
                  damping: str | float = "adaptive", lr: float = 1.0, acceleration: bool = False,
                  factorization: str = "auto",
                  max_time: float | None = None, device: str | torch.device | None = None,
                  dtype: torch.dtype = torch.float64) -> FitResult:
    """Minimise ``½ Σ ρ(rᵢ(x)²)`` over named groups of residuals ("conditions") with Sven.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)``: residuals as a 1-D tensor, or a mapping condition name -> residuals
        (1-D or 0-d tensors, or :class:`~svenfit.Pointwise` conditions). With ``jac="autograd"`` ``x`` is
        a 1-D torch tensor (or, for an ``nn.Module`` start, a callable standing for the module); with
        finite differences or a callable ``jac`` it is a numpy array and numpy results are accepted.
    x0 : array-like, Tensor, mapping or nn.Module
        Start values; a mapping's keys name the parameters; a module's trainable parameters are fitted
        (frozen ones stay frozen, tied ones tied) and written back unless the fit fails (status −4, −5).
    jac : {"autograd", "2-point", "3-point"} or callable
        Jacobian by torch.func (default), by scipy-style finite differences, or ``jac(x, *args, **kwargs)``
        returning the (m, n) Jacobian of the stacked, unweighted residuals.
    bounds : 2-tuple or scipy.optimize.Bounds
        Lower and upper bounds; ``lb == ub`` fixes a parameter. ``fun`` is never evaluated outside them.
    method : {"sven", "trf", "dogbox", "lm"}
        "sven" is ours; the others run scipy's solvers on the same problem and return a FitResult too.
    ftol, xtol, gtol : float or None
        scipy's stopping tests (relative cost reduction, relative step, gradient infinity norm).
    x_scale : array-like or "jac", optional
        Characteristic scale of each parameter (sets the metric of the damped step).
    loss, f_scale
        Robust loss ("linear", "soft_l1", "huber", "cauchy", "arctan") and its scale, as in scipy.
    max_nfev : int, optional
        Maximum residual evaluations (default ``100 · n``).
    verbose : {0, 1, 2}
        1 prints the report at the end, 2 also a line per iteration.
    args, kwargs
        Extra arguments of ``fun``.
    callback : callable, optional
        ``callback(intermediate_result)`` (an OptimizeResult) or ``callback(x)`` after every iteration;
        raising ``StopIteration`` ends the fit with status −2 and the best point.
    names : sequence of str, optional
        Parameter names.
    weights : mapping, optional
        Condition name -> weight; the condition's rows are scaled by ``√weight``.
    k : int, optional
        Keep at most ``k`` singular triplets per step.
    rtol : float, optional
        Drop singular values below ``rtol · σ₁`` (default ``eps · max(m, n)``; for undamped steps,
        ``damping=0``, with the Gram factorisation its noise floor ``√(eps · max(m, n))``).
    damping : "adaptive" or float
        Levenberg–Marquardt damping adapted by the gain ratio, or a fixed λ relative to ``σ₁²``
        (``0`` with ``lr`` is plain Sven: every finite step is taken, the best point returned).
    lr : float
        Step length multiplier.
    acceleration : bool
        With adaptive damping, add the geodesic-acceleration correction to each step (one extra residual
        evaluation per trial step; steps whose correction is large are shortened). Worth it on strongly
        curved problems such as PINNs (on 2-D Poisson it lowers the error reached in 30 s by orders of
        magnitude); on small fits it costs about twice the evaluations.
    factorization : {"auto", "dense", "gram", "randomized"}
        How the Jacobian is factorised each step.
    max_time : float, optional
        Stop (status 0) after this many seconds.
    device, dtype
        Torch device and dtype of the parameters (float64 by default).

    Returns
    -------
    FitResult
        scipy's fields plus names, chi2, covariance, errors, per-condition diagnostics and history.

    Raises
    ------
    ValueError, TypeError, RuntimeError
        For bad input: wrong residual shapes, non-finite start, start outside bounds, wrong ``names``
        length, empty conditions, ``fun`` raising at ``x0``, non-finite residuals at ``x0``.
    """
    _check_options(method, jac, ftol, xtol, gtol, k, rtol, damping, lr, factorization, max_nfev)
    check_loss(loss, f_scale)
    started = time.perf_counter()
    space = ParameterSpace(x0, names, bounds, dtype, torch.device(device) if device is not None else None)
    problem = Problem(fun, space, args=tuple(args), kwargs=kwargs, weights=weights, jac=jac, loss=loss,
                      f_scale=f_scale)
    x0_free = space.x0[space.free]
    _check_residuals(problem, problem.values(x0_free))
    if method == "sven":
        result = _run_sven(problem, x0_free, callback, sven.Settings(
            ftol=ftol, xtol=xtol, gtol=gtol, max_nfev=max_nfev, max_time=max_time, k=k, rtol=rtol,
            damping=damping, lr=lr, acceleration=acceleration, factorization=factorization,
            x_scale=_scale(x_scale, space),
            verbose=verbose), started, k, rtol)
    else:
        result = _run_scipy(problem, x0_free, method, callback, started, k, rtol, ftol=ftol, xtol=xtol,
                            gtol=gtol, x_scale=x_scale, loss=loss, f_scale=f_scale, max_nfev=max_nfev,
                            verbose=verbose)
    if space.layout is not None and result.status not in (-4, -5):
        space.layout.write_back(torch.as_tensor(result.x))
    if verbose >= 1:
        print(result)
    return result


def _scale(x_scale: Any, space: ParameterSpace) -> np.ndarray | str | None:
    if x_scale is None or isinstance(x_scale, str):
        if isinstance(x_scale, str) and x_scale != "jac":
            raise ValueError(f"x_scale must be 'jac' or positive numbers, got {x_scale!r}")
        return x_scale
    scale = np.broadcast_to(np.asarray(x_scale, dtype=float), (space.n,))[space.free.cpu().numpy()]
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError("x_scale must be positive and finite")
    return scale


def _run_sven(problem: Problem, x0_free: torch.Tensor, callback: Callable[..., Any] | None,
              settings: sven.Settings, started: float, k: int | None, rtol: float | None) -> FitResult:
    space = problem.space
    z0 = space.transform.to_internal(x0_free)
    try:
        initial = problem.internal_jacobian(z0)
    except (ValueError, TypeError):
        raise
    except Exception as error:
        hint = (" (jac='autograd' differentiates fun with torch.func: fun must be written in torch, "
                "without .item(), numpy calls or in-place updates of its inputs; use jac='2-point' for "
                "numpy code)") if not problem.numpy else ""
        raise RuntimeError(f"the Jacobian could not be computed at x0: {type(error).__name__}: {error}{hint}") from error
    if not bool(torch.isfinite(initial[1]).all()):
        raise ValueError("the Jacobian at x0 has non-finite entries; check the derivatives of fun there")
    blocks = {b.name: b.rows for b in problem.blocks}
    outcome = sven.minimize(problem.internal_residual, problem.internal_jacobian, z0, settings, blocks,
                            _callback_adapter(callback, problem), initial=initial)
    derivative = space.transform.derivative(outcome.z)
    safe = torch.where(derivative != 0, derivative, torch.ones_like(derivative))
    fallback = (outcome.residuals, torch.where(derivative != 0, outcome.jacobian / safe, 0.0))
    return assemble(problem, space.transform.to_external(outcome.z), status=outcome.status,
                    message=outcome.message, nfev=outcome.nfev, njev=outcome.njev, nit=outcome.nit,
                    history=outcome.history, method="sven", k=k, rtol=rtol,
                    elapsed=time.perf_counter() - started, exception=outcome.exception, fallback=fallback)


def _run_scipy(problem: Problem, x0_free: torch.Tensor, method: str, callback: Callable[..., Any] | None,
               started: float, k: int | None, rtol: float | None, *, x_scale: Any, **options: Any) -> FitResult:
    space = problem.space
    as_tensor = lambda v: torch.as_tensor(v, dtype=space.dtype, device=space.device)  # noqa: E731
    residuals = lambda v: problem.values(as_tensor(v)).detach().cpu().numpy()  # noqa: E731
    if problem.jac in ("2-point", "3-point"):
        jac: Any = problem.jac
    else:
        jac = lambda v: problem.jacobian(as_tensor(v))[1].detach().cpu().numpy()  # noqa: E731
    free = space.free.cpu().numpy()
    bounds = (space.lower.cpu().numpy()[free], space.upper.cpu().numpy()[free])
    if method == "lm" and (np.isfinite(bounds[0]).any() or np.isfinite(bounds[1]).any()):
        raise ValueError("method='lm' does not support bounds; use 'sven', 'trf' or 'dogbox'")
    extra = {} if x_scale is None else {"x_scale": x_scale if isinstance(x_scale, str) else
                                        np.broadcast_to(np.asarray(x_scale, float), (space.n,))[free]}
    if callback is not None and method != "lm":
        extra["callback"] = callback
    fit = optimize.least_squares(residuals, x0_free.detach().cpu().numpy(), jac=jac, bounds=bounds,
                                 method=method, **options, **extra)
    x_free = as_tensor(fit.x)
    history = sven.History([b.name for b in problem.blocks])
    return assemble(problem, x_free, status=int(fit.status), message=str(fit.message), nfev=int(fit.nfev),
                    njev=int(fit.njev or 0), nit=int(fit.get("nit", 0) or 0), history=history, method=method,
                    k=k, rtol=rtol, elapsed=time.perf_counter() - started)


def _parameter_count(f: Callable[..., Any]) -> int:
    parameters = list(inspect.signature(f).parameters.values())
    if any(p.kind is p.VAR_POSITIONAL for p in parameters):
        raise ValueError("p0 must be given when f takes *args")
    return len(parameters) - 1


def curve_fit(f: Callable[..., Any], xdata: Any, ydata: Any, p0: Any = None, sigma: Any = None,
              absolute_sigma: bool = False, check_finite: bool = True, bounds: Any = (-np.inf, np.inf),
              method: str = "sven", jac: str | Callable[..., Any] = "autograd", *, full_output: bool = False,
              names: Sequence[str] | None = None, **kwargs: Any) -> tuple:
    """Fit ``ydata ≈ f(xdata, *p)``, returning ``(popt, pcov)`` like ``scipy.optimize.curve_fit``.

    Parameters
    ----------
    f : callable
        ``f(x, p1, p2, …)``; with ``jac="autograd"`` it receives torch tensors (``xdata`` as a tensor when
        it is numeric, each parameter as a 0-d tensor), otherwise numpy values.
    xdata, ydata
        Independent variable and data (``ydata`` 1-D).
    p0 : array-like, optional
        Start values (default all ones, the count taken from ``f``'s signature).
    sigma : array-like, optional
        1-D standard deviations of ``ydata``, or a 2-D covariance matrix.
    absolute_sigma : bool
        If False, the covariance is scaled by ``χ²/(m − n)`` (sigma taken as relative weights).
    check_finite : bool
        Raise ``ValueError`` for non-finite ``xdata`` or ``ydata``.
    bounds, method, jac, names, **kwargs
        Passed to :func:`least_squares`.
    full_output : bool
        Also return ``infodict`` (``nfev``, ``fvec``, ``result``), ``mesg`` and ``ier`` (the status).

    Returns
    -------
    popt, pcov : ndarray
        Best-fit parameters and their covariance.
    """
    n = len(np.atleast_1d(p0)) if p0 is not None else _parameter_count(f)
    start = np.ones(n) if p0 is None else np.atleast_1d(np.asarray(p0, dtype=float))
    dtype = kwargs.get("dtype", torch.float64)
    numpy_mode = jac != "autograd"
    y = np.asarray(ydata, dtype=float).reshape(-1)
    x_is_numeric = isinstance(xdata, (np.ndarray, torch.Tensor, Sequence)) and not isinstance(xdata, str)
    if check_finite and (not np.all(np.isfinite(y)) or
                         (x_is_numeric and not np.all(np.isfinite(np.asarray(xdata, dtype=float))))):
        raise ValueError("xdata or ydata contain non-finite values (check_finite=True)")
    if numpy_mode:
        x_in, y_in, to = xdata, y, np.asarray
    else:
        x_in = torch.as_tensor(np.asarray(xdata, dtype=float), dtype=dtype) if x_is_numeric else xdata
        y_in, to = torch.as_tensor(y, dtype=dtype), lambda a: torch.as_tensor(a, dtype=dtype)
    whiten = _whitening(sigma, y.size, to, numpy_mode)

    def residuals(p: Any) -> Any:
        model = f(x_in, *[p[i] for i in range(n)])
        return whiten(model.reshape(-1) - y_in)

    result = least_squares(residuals, start, jac=jac, bounds=bounds, method=method, names=names, **kwargs)
    if not result.success:
        raise RuntimeError(f"Optimal parameters not found: {result.message}")
    pcov = np.array(result.covariance, dtype=float)
    if not absolute_sigma:
        dof = y.size - int(np.sum(~result.fixed))
        pcov = pcov * (result.chi2 / dof) if dof > 0 else np.full_like(pcov, np.inf)
    if full_output:
        info = {"nfev": result.nfev, "fvec": result.fun, "result": result}
        return result.x, pcov, info, result.message, result.status
    return result.x, pcov


def _whitening(sigma: Any, m: int, to: Callable[[Any], Any], numpy_mode: bool) -> Callable[[Any], Any]:
    """Map raw differences to whitened residuals for 1-D errors or a 2-D covariance."""
    if sigma is None:
        return lambda d: d
    s = np.asarray(sigma, dtype=float)
    if s.shape == (m,):
        if not np.all(s > 0):
            raise ValueError("sigma must be positive")
        inverse = to(1.0 / s)
        return lambda d: d * inverse
    if s.shape == (m, m):
        L = np.linalg.cholesky(s)
        if numpy_mode:
            from scipy.linalg import solve_triangular
            return lambda d: solve_triangular(L, d, lower=True)
        L_t = to(L)
        return lambda d: torch.linalg.solve_triangular(L_t, d.reshape(-1, 1), upper=False).reshape(-1)
    raise ValueError(f"sigma must have shape ({m},) or ({m}, {m}), got {s.shape}")
