"""A fit problem: the user's function, its named conditions, weights, parameters and loss.

:class:`Problem` calls the user's function, checks what it returns, stacks the conditions into one
weighted residual vector and builds its Jacobian with respect to the free parameters. It also offers
both in the engine's internal coordinates (bound transforms applied, robust loss applied).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from .conditions import Pointwise
from .engine.jacobian import finite_difference, pointwise_jacobian, stacked_jacobian
from .losses import robust, robust_with_slope
from .parameters import ParameterSpace

SINGLE = "residuals"  # the name of the only condition when fun returns a plain vector


@dataclass(frozen=True)
class Block:
    """One condition's rows in the stacked residual vector."""

    name: str
    start: int
    stop: int
    pointwise: bool

    @property
    def rows(self) -> slice:
        return slice(self.start, self.stop)

    @property
    def size(self) -> int:
        return self.stop - self.start


def _as_conditions(out: Any) -> dict[str, Any]:
    """``fun``'s output as an ordered mapping name -> value (a plain vector is one condition)."""
    if isinstance(out, Mapping):
        if not out:
            raise ValueError("fun returned an empty mapping of conditions")
        return {str(name): value for name, value in out.items()}
    return {SINGLE: out}


class Problem:
    """The residual system ``r(x)`` of a fit, with its Jacobian.

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)`` returning a 1-D residual vector or a mapping name -> residuals
        (tensors, 0-d tensors for single rows, or :class:`~svenfit.Pointwise` conditions).
    space : ParameterSpace
        The parameters.
    args, kwargs
        Extra arguments of ``fun``.
    weights : mapping, optional
        Condition name -> weight ``w`` (rows scaled by ``√w``).
    jac : {"autograd", "2-point", "3-point"} or callable
        How Jacobians are computed. With anything but "autograd", ``fun`` receives numpy arrays.
    loss, f_scale
        Robust loss (scipy's names and meaning).
    """

    def __init__(self, fun: Callable[..., Any], space: ParameterSpace, *, args: tuple = (),
                 kwargs: Mapping[str, Any] | None = None, weights: Mapping[str, float] | None = None,
                 jac: str | Callable[..., Any] = "autograd", loss: str = "linear", f_scale: float = 1.0):
        self.fun, self.space = fun, space
        self.args, self.kwargs = tuple(args), dict(kwargs or {})
        self.jac, self.loss, self.f_scale = jac, loss, float(f_scale)
        self.numpy = jac != "autograd"
        self.weights_given = dict(weights or {})
        try:
            first = self._invoke(space.x0)
        except Exception as error:
            raise RuntimeError(f"fun raised {type(error).__name__} when evaluated at x0: {error}") from error
        self.blocks = self._layout(_as_conditions(first))
        unknown = sorted(set(self.weights_given) - {b.name for b in self.blocks})
        if unknown:
            raise ValueError(f"weights name unknown conditions {unknown}; the conditions are "
                             f"{[b.name for b in self.blocks]}")
        for name, w in self.weights_given.items():
            if not (math.isfinite(float(w)) and float(w) >= 0):
                raise ValueError(f"weight of condition {name!r} must be finite and non-negative, got {w!r}")
        self.row_scale = torch.cat([
            torch.full((b.size,), math.sqrt(float(self.weights_given.get(b.name, 1.0))), dtype=space.dtype,
                       device=space.device) for b in self.blocks])
        self.has_pointwise = any(b.pointwise for b in self.blocks)

    # -- calling the user's function ---------------------------------------------------------------

    @property
    def m(self) -> int:
        """Number of residual rows."""
        return self.blocks[-1].stop

    def _invoke(self, x_full: torch.Tensor) -> Any:
        """What ``fun`` returns at ``x_full``."""
        if self.numpy:
            return self.fun(self.space.to_numpy(x_full), *self.args, **self.kwargs)
        return self.fun(self.space.argument(x_full), *self.args, **self.kwargs)

    def _call(self, x_full: torch.Tensor) -> dict[str, Any]:
        """``fun`` at ``x_full``, its output as an ordered mapping name -> value."""
        return _as_conditions(self._invoke(x_full))

    def _rows(self, name: str, value: Any) -> torch.Tensor | Pointwise:
        """A condition's value checked and converted to a 1-D tensor (or kept as Pointwise)."""
        if isinstance(value, Pointwise):
            if self.numpy:
                raise TypeError(f"condition {name!r} is Pointwise, which needs jac='autograd'")
            return value
        if self.numpy:
            value = torch.as_tensor(np.asarray(value, dtype=float), dtype=self.space.dtype,
                                    device=self.space.device)
        elif not isinstance(value, torch.Tensor):
            raise TypeError(f"condition {name!r} returned {type(value).__name__}; with jac='autograd' "
                            "conditions must be torch tensors computed from the parameters (use "
                            "jac='2-point' for functions written in numpy)")
        if value.dim() > 1:
            raise ValueError(f"condition {name!r} returned shape {tuple(value.shape)}; residuals must be "
                             "1-D (or 0-d for a single row)")
        return value.reshape(-1)

    def _layout(self, out: Mapping[str, Any]) -> list[Block]:
        blocks, start = [], 0
        for name, value in out.items():
            rows = self._rows(name, value)
            size = rows.n_points * self._per_point(rows) if isinstance(rows, Pointwise) else rows.numel()
            if size == 0:
                raise ValueError(f"condition {name!r} has no rows")
            blocks.append(Block(name, start, start + size, isinstance(rows, Pointwise)))
            start += size
        return blocks

    def _per_point(self, condition: Pointwise) -> int:
        params = self.space.argument(self.space.x0)
        return condition.values(params).numel() // condition.n_points

    def _checked(self, out: Mapping[str, Any]) -> list[torch.Tensor | Pointwise]:
        names = [b.name for b in self.blocks]
        if list(out) != names:
            raise ValueError(f"fun returned conditions {list(out)} but {names} at x0; the conditions "
                             "must not change between calls")
        return [self._rows(b.name, out[b.name]) for b in self.blocks]

    def _check_rows(self, block: Block, rows: torch.Tensor) -> None:
        if rows.numel() != block.size:
            what = "fun" if block.name == SINGLE else f"condition {block.name!r}"
            raise ValueError(f"{what} returned {rows.numel()} rows but {block.size} at x0; residual "
                             "lengths must not change between calls")

    # -- residuals and Jacobians in external coordinates ---------------------------------------------

    def values(self, x_free: torch.Tensor) -> torch.Tensor:
        """The weighted residual vector at free external values ``x_free``."""
        x_full = self.space.full(x_free)
        conditions = self._checked(self._call(x_full))
        params = self.space.argument(x_full) if self.has_pointwise else None
        pieces = []
        for block, value in zip(self.blocks, conditions):
            rows = value.values(params) if isinstance(value, Pointwise) else value
            self._check_rows(block, rows)
            pieces.append(rows)
        return torch.cat(pieces) * self.row_scale

    def jacobian(self, x_free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Weighted residuals and their Jacobian with respect to the free parameters."""
        if self.numpy:
            return self._numeric_jacobian(x_free)
        pieces: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        dense_blocks = [b for b in self.blocks if not b.pointwise]
        if dense_blocks:
            sizes = [b.size for b in dense_blocks]
            value, J = stacked_jacobian(lambda v: self._dense_values(v, dense_blocks), x_free, sum(sizes))
            for block, v, j in zip(dense_blocks, value.split(sizes), J.split(sizes)):
                pieces[block.name] = (v, j)
        if self.has_pointwise:
            conditions = self._checked(self._call(self.space.full(x_free)))
            for block, condition in zip(self.blocks, conditions):
                if block.pointwise:
                    h = lambda v, *point, f=condition.function: f(self.space.lift(v), *point)
                    value, J = pointwise_jacobian(h, condition.parts, x_free, condition.chunk_size)
                    self._check_rows(block, value)
                    pieces[block.name] = (value, J)
        r = torch.cat([pieces[b.name][0] for b in self.blocks]) * self.row_scale
        J = torch.cat([pieces[b.name][1] for b in self.blocks]) * self.row_scale[:, None]
        return r, J

    def _dense_values(self, x_free: torch.Tensor, blocks: list[Block]) -> torch.Tensor:
        out = self._call(self.space.full(x_free))
        conditions = self._checked(out)
        pieces = []
        for block, value in zip(self.blocks, conditions):
            if block in blocks:
                self._check_rows(block, value)
                pieces.append(value)
        return torch.cat(pieces)

    def _numeric_jacobian(self, x_free: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        r = self.values(x_free)
        free = self.space.free
        if callable(self.jac):
            x_full = self.space.to_numpy(self.space.full(x_free))
            J = np.asarray(self.jac(x_full, *self.args, **self.kwargs), dtype=float)
            if J.shape != (self.m, self.space.n):
                raise ValueError(f"jac returned shape {J.shape}; expected ({self.m}, {self.space.n})")
            J = torch.as_tensor(J, dtype=r.dtype, device=r.device)[:, free] * self.row_scale[:, None]
            return r, J

        def g(v: np.ndarray) -> np.ndarray:
            tensor = torch.as_tensor(v, dtype=self.space.dtype, device=self.space.device)
            return self.values(tensor).detach().cpu().numpy()

        J = finite_difference(g, x_free.detach().cpu().numpy().astype(float), r.detach().cpu().numpy(),
                              self.space.lower[free].cpu().numpy(), self.space.upper[free].cpu().numpy(),
                              self.jac)
        return r, torch.as_tensor(J, dtype=r.dtype, device=r.device)

    # -- the engine's view: internal coordinates, robust loss ----------------------------------------

    def internal_residual(self, z: torch.Tensor) -> torch.Tensor:
        """Robust residuals at internal coordinates ``z``."""
        return robust(self.values(self.space.transform.to_external(z)), self.loss, self.f_scale)

    def internal_jacobian(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Robust residuals and their Jacobian with respect to internal coordinates ``z``."""
        transform = self.space.transform
        r, J = self.jacobian(transform.to_external(z))
        r_robust, slope = robust_with_slope(r, self.loss, self.f_scale)
        return r_robust, slope[:, None] * J * transform.derivative(z)[None, :]
