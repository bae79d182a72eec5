"""A panel of standard least-squares problems, written once for torch and numpy.

Each residual function takes ``(x, xp)`` with ``xp`` the array namespace (``torch`` or ``numpy``), so
the same definition feeds svenfit (autograd) and scipy (plain numpy). Most come from Moré, Garbow &
Hillstrom, "Testing unconstrained optimization software", ACM TOMS 7 (1981), with their standard starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import torch


@dataclass(frozen=True)
class TestProblem:
    """A residual system with a standard start.

    Attributes
    ----------
    name : str
        Short name.
    residuals : callable
        ``residuals(x, xp) -> 1-D array`` in namespace ``xp``.
    x0 : tuple of float
        Standard start.
    bounds : tuple
        scipy-style bounds.
    """

    name: str
    residuals: Callable[[Any, Any], Any]
    x0: tuple[float, ...]
    bounds: tuple[Any, Any] = (-np.inf, np.inf)
    description: str = field(default="", compare=False)

    def torch_fun(self) -> Callable[[torch.Tensor], torch.Tensor]:
        return lambda x: self.residuals(x, torch)

    def numpy_fun(self) -> Callable[[np.ndarray], np.ndarray]:
        return lambda x: np.asarray(self.residuals(np.asarray(x, dtype=float), np))


def _exp_decay_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    t = np.linspace(0.0, 5.0, 40)
    return t, 2.5 * np.exp(-1.3 * t) + 0.3 + 0.01 * rng.standard_normal(t.size)


def _peak_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2)
    t = np.linspace(-5.0, 5.0, 120)
    clean = 40.0 * np.exp(-0.5 * ((t - 0.7) / 0.8) ** 2) + 5.0 - 0.4 * t
    return t, clean + np.sqrt(clean) * rng.standard_normal(t.size)


def _as(xp: Any, values: np.ndarray, like: Any) -> Any:
    return xp.as_tensor(values, dtype=like.dtype) if xp is torch else values


def exp_decay(x: Any, xp: Any) -> Any:
    t, y = _exp_decay_data()
    t, y = _as(xp, t, x), _as(xp, y, x)
    return (x[0] * xp.exp(-x[1] * t) + x[2] - y) / 0.01


def gaussian_peak(x: Any, xp: Any) -> Any:
    t, y = _peak_data()
    model_t, y_t = _as(xp, t, x), _as(xp, y, x)
    model = x[0] * xp.exp(-0.5 * ((model_t - x[1]) / x[2]) ** 2) + x[3] + x[4] * model_t
    return (model - y_t) / _as(xp, np.sqrt(np.maximum(y, 1.0)), x)


def rosenbrock(x: Any, xp: Any) -> Any:
    return xp.stack([10.0 * (x[1] - x[0] ** 2), 1.0 - x[0]])


def freudenstein_roth(x: Any, xp: Any) -> Any:
    return xp.stack([-13.0 + x[0] + ((5.0 - x[1]) * x[1] - 2.0) * x[1],
                     -29.0 + x[0] + ((x[1] + 1.0) * x[1] - 14.0) * x[1]])


def powell_badly_scaled(x: Any, xp: Any) -> Any:
    return xp.stack([1e4 * x[0] * x[1] - 1.0, xp.exp(-x[0]) + xp.exp(-x[1]) - 1.0001])


def brown_badly_scaled(x: Any, xp: Any) -> Any:
    return xp.stack([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


def helical_valley(x: Any, xp: Any) -> Any:
    theta = xp.arctan2(x[1], x[0]) / (2.0 * np.pi)
    return xp.stack([10.0 * (x[2] - 10.0 * theta), 10.0 * (xp.sqrt(x[0] ** 2 + x[1] ** 2) - 1.0), x[2]])


def powell_singular(x: Any, xp: Any) -> Any:
    return xp.stack([x[0] + 10.0 * x[1], np.sqrt(5.0) * (x[2] - x[3]), (x[1] - 2.0 * x[2]) ** 2,
                     np.sqrt(10.0) * (x[0] - x[3]) ** 2])


_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39])


def bard(x: Any, xp: Any) -> Any:
    u = np.arange(1.0, 16.0)
    v, w = 16.0 - u, np.minimum(u, 16.0 - u)
    u, v, w, y = (_as(xp, a, x) for a in (u, v, w, _BARD_Y))
    return y - (x[0] + u / (v * x[1] + w * x[2]))


def box_3d(x: Any, xp: Any) -> Any:
    t = _as(xp, 0.1 * np.arange(1.0, 11.0), x)
    return (xp.exp(-t * x[0]) - xp.exp(-t * x[1]) - x[2] * (xp.exp(-t) - xp.exp(-10.0 * t)))


_KOWALIK_Y = np.array([0.1957, 0.1947, 0.1735, 0.1600, 0.0844, 0.0627, 0.0456, 0.0342, 0.0323, 0.0235, 0.0246])
_KOWALIK_U = np.array([4.0, 2.0, 1.0, 0.5, 0.25, 0.167, 0.125, 0.1, 0.0833, 0.0714, 0.0625])


def kowalik_osborne(x: Any, xp: Any) -> Any:
    u, y = _as(xp, _KOWALIK_U, x), _as(xp, _KOWALIK_Y, x)
    return y - x[0] * (u ** 2 + u * x[1]) / (u ** 2 + u * x[2] + x[3])


_OSBORNE1_Y = np.array([0.844, 0.908, 0.932, 0.936, 0.925, 0.908, 0.881, 0.850, 0.818, 0.784, 0.751, 0.718,
                        0.685, 0.658, 0.628, 0.603, 0.580, 0.558, 0.538, 0.522, 0.506, 0.490, 0.478, 0.467,
                        0.457, 0.448, 0.438, 0.431, 0.424, 0.420, 0.414, 0.411, 0.406])


def osborne_1(x: Any, xp: Any) -> Any:
    t, y = _as(xp, 10.0 * np.arange(33.0), x), _as(xp, _OSBORNE1_Y, x)
    return y - (x[0] + x[1] * xp.exp(-t * x[3]) + x[2] * xp.exp(-t * x[4]))


def _rank_deficient_system() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    A = rng.standard_normal((20, 4)) @ rng.standard_normal((4, 6))  # 20 × 6, rank 4
    return A, rng.standard_normal(20)


def rank_deficient_linear(x: Any, xp: Any) -> Any:
    A, b = _rank_deficient_system()
    return _as(xp, A, x) @ x - _as(xp, b, x)


PANEL: tuple[TestProblem, ...] = (
    TestProblem("exponential decay", exp_decay, (1.0, 0.5, 0.0), description="3 parameters, 40 points"),
    TestProblem("gaussian peak", gaussian_peak, (30.0, 0.0, 1.5, 1.0, 0.0), description="peak on a linear background"),
    TestProblem("rosenbrock", rosenbrock, (-1.2, 1.0), description="MGH 1"),
    TestProblem("freudenstein-roth", freudenstein_roth, (0.5, -2.0), description="MGH 2, local minimum"),
    TestProblem("powell badly scaled", powell_badly_scaled, (0.0, 1.0), description="MGH 3"),
    TestProblem("brown badly scaled", brown_badly_scaled, (1.0, 1.0), description="MGH 4"),
    TestProblem("helical valley", helical_valley, (-1.0, 0.0, 0.0), description="MGH 7"),
    TestProblem("bard", bard, (1.0, 1.0, 1.0), description="MGH 8"),
    TestProblem("box 3-d", box_3d, (0.0, 10.0, 20.0), description="MGH 12"),
    TestProblem("powell singular", powell_singular, (3.0, -1.0, 0.0, 1.0), description="MGH 13, singular at the minimum"),
    TestProblem("kowalik-osborne", kowalik_osborne, (0.25, 0.39, 0.415, 0.39), description="MGH 15"),
    TestProblem("osborne 1", osborne_1, (0.5, 1.5, -1.0, 0.01, 0.02), description="MGH 17"),
    TestProblem("rank-deficient linear", rank_deficient_linear, (0.0,) * 6, description="20 × 6, rank 4"),
)


def by_name(name: str) -> TestProblem:
    """The panel problem called ``name``."""
    for problem in PANEL:
        if problem.name == name:
            return problem
    raise KeyError(f"no panel problem {name!r}; the panel has {[p.name for p in PANEL]}")
