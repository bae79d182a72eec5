"""Jacobians of residual functions: torch.func for torch code, finite differences for numpy code."""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from torch.func import jacfwd, jacrev, vmap

JAC_METHODS = ("autograd", "2-point", "3-point")


def stacked_jacobian(g: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                     rows: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Value and Jacobian of a whole-vector function ``g: R^n -> R^rows`` at ``x``.

    Forward mode costs one pass per parameter and reverse mode one pass per row, so the cheaper one is
    chosen from the shape.
    """
    transform = jacfwd if x.numel() <= rows else jacrev
    J, value = transform(lambda v: _with_value(g, v), has_aux=True)(x)
    return value, J.reshape(rows, x.numel())


def _with_value(g: Callable[[torch.Tensor], torch.Tensor], v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    out = g(v)
    return out, out.detach()


def pointwise_jacobian(h: Callable[..., torch.Tensor], parts: tuple[torch.Tensor, ...], x: torch.Tensor,
                       chunk_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Value and Jacobian of ``h(x, *point)`` over all points, as ``vmap`` of per-point ``jacrev``.

    Returns the rows flattened point-major, shapes (N·q,) and (N·q, n) for a per-point output of q values.
    """
    per_point = jacrev(lambda v, *point: _with_value(lambda w: h(w, *point), v), has_aux=True)
    J, value = vmap(per_point, in_dims=(None,) + (0,) * len(parts), chunk_size=chunk_size)(x, *parts)
    return value.reshape(-1), J.reshape(-1, x.numel())


def finite_difference(g: Callable[[np.ndarray], np.ndarray], x: np.ndarray, f0: np.ndarray,
                      lower: np.ndarray, upper: np.ndarray, method: str) -> np.ndarray:
    """Finite-difference Jacobian of ``g`` at ``x`` with scipy's step rules, never leaving the bounds.

    The step for parameter i is ``h = rel · max(1, |xᵢ|)`` with ``rel = √eps`` ("2-point") or
    ``eps^(1/3)`` ("3-point"), signed towards the interior; where a central difference would cross a
    bound, a one-sided difference (second order for "3-point") into the interior is used instead.
    """
    eps = np.finfo(float).eps
    rel = eps ** 0.5 if method == "2-point" else eps ** (1.0 / 3.0)
    J = np.empty((f0.size, x.size))
    for i in range(x.size):
        h = rel * max(1.0, abs(x[i])) * (1.0 if x[i] >= 0 else -1.0)
        reach = 1 if method == "2-point" else 2
        if not lower[i] <= x[i] + reach * h <= upper[i]:
            h = -h
        if not lower[i] <= x[i] + reach * h <= upper[i]:
            # Both directions leave the bounds: shrink the step to fit the wider side.
            room = max(upper[i] - x[i], x[i] - lower[i]) / reach
            h = room if upper[i] - x[i] >= x[i] - lower[i] else -room
        J[:, i] = _difference(g, x, f0, i, h, method, lower[i], upper[i])
    return J


def _difference(g: Callable[[np.ndarray], np.ndarray], x: np.ndarray, f0: np.ndarray, i: int, h: float,
                method: str, lo: float, hi: float) -> np.ndarray:
    def at(offset: float) -> np.ndarray:
        shifted = x.copy()
        shifted[i] = x[i] + offset
        return g(shifted)

    if method == "2-point":
        return (at(h) - f0) / h
    if lo <= x[i] - h <= hi:
        return (at(h) - at(-h)) / (2.0 * h)
    return (-3.0 * f0 + 4.0 * at(h) - at(2.0 * h)) / (2.0 * h)
