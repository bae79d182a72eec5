"""Condition builders for PDE problems: residuals at collocation points, boundary, initial and data.

Each builder returns a :class:`~svenfit.Pointwise` condition, so the engine builds its Jacobian point by
point. A *field* ``field(params, x) -> 0-d tensor`` says how the fitted parameters give the solution at
one point ``x``; for an ``nn.Module`` mapping a point to one output, :func:`network` is that field.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from ..conditions import Pointwise
from .derivatives import gradient

Field = Callable[[object, Tensor], Tensor]
PointFunction = Callable[[Tensor], Tensor]
Values = PointFunction | Tensor | float


def network(model: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """The field of a network with one output: ``model(x)`` as a 0-d tensor."""
    return model(x).reshape(())


def _bound(field: Field, params: object) -> PointFunction:
    return lambda y: field(params, y)


def _with_values(points: Tensor, values: Values,
                 residual: Callable[[object, Tensor, Tensor], Tensor]) -> tuple[Callable[..., Tensor], tuple]:
    """A per-point function ``f(params, x[, value])`` and its point tensors, for values given as a
    function of the point, one number, or a tensor of per-point values."""
    if callable(values):
        return (lambda p, x: residual(p, x, values(x))), (points,)
    values = torch.as_tensor(values, dtype=points.dtype, device=points.device)
    if values.dim() == 0:
        return (lambda p, x: residual(p, x, values)), (points,)
    if values.shape[0] != points.shape[0]:
        raise ValueError(f"{values.shape[0]} values for {points.shape[0]} points")
    return residual, (points, values)


def residual(equation: Callable[[PointFunction, Tensor], Tensor], points: Tensor, field: Field = network,
             *, chunk_size: int | None = None) -> Pointwise:
    """The PDE residual ``equation(u, x)`` at collocation ``points``.

    ``equation`` receives the solution as a function of one point (so derivatives come from
    :mod:`svenfit.pde.derivatives`) and the point, e.g. ``lambda u, x: -laplacian(u)(x) - f(x)``.
    """
    return Pointwise(lambda p, x: equation(_bound(field, p), x), points, chunk_size)


def dirichlet(points: Tensor, values: Values = 0.0, field: Field = network) -> Pointwise:
    """Boundary values ``u(x) − g(x)``; ``values`` is ``g`` as a function, a number or per-point tensor."""
    f, parts = _with_values(points, values, lambda p, x, g: field(p, x) - g)
    return Pointwise(f, parts)


def initial(points: Tensor, values: Values, field: Field = network) -> Pointwise:
    """Initial values ``u(t₀, x) − u₀(x)`` on points of the initial slice."""
    return dirichlet(points, values, field)


def neumann(points: Tensor, normal: Tensor, values: Values = 0.0, field: Field = network) -> Pointwise:
    """Normal derivative ``∇u(x)·n − g(x)`` on one face with outward unit ``normal``."""
    normal = torch.as_tensor(normal, dtype=points.dtype, device=points.device)
    f, parts = _with_values(points, values, lambda p, x, g: gradient(_bound(field, p))(x) @ normal - g)
    return Pointwise(f, parts)


def data(points: Tensor, values: Tensor, sigma: Tensor | float = 1.0, field: Field = network) -> Pointwise:
    """Measurements ``(u(x) − y)/σ`` at ``points``."""
    sigma = torch.as_tensor(sigma, dtype=points.dtype, device=points.device)
    values = torch.as_tensor(values, dtype=points.dtype, device=points.device)
    if sigma.dim() == 0:
        return Pointwise(lambda p, x, y: (field(p, x) - y) / sigma, (points, values))
    return Pointwise(lambda p, x, y, s: (field(p, x) - y) / s, (points, values, sigma))
