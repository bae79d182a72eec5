"""Conditions given point by point.

Most conditions in physics fits are pointwise: each residual row depends on the parameters and on one
point (a data point, a collocation point). Declaring a condition as :class:`Pointwise` lets the engine
build its Jacobian as ``vmap`` over points of ``jacrev`` of the per-point function, which costs about one
per-point backward pass per row instead of one pass of the whole residual per row or per parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch.func import vmap


@dataclass(frozen=True, eq=False)
class Pointwise:
    """A condition whose rows are ``function(params, point)`` over a set of points.

    Parameters
    ----------
    function : callable
        ``function(params, *point) -> Tensor``: the residual(s) at one point, a 0-d tensor or a 1-D tensor
        of fixed length. ``params`` is what the fitted function receives (the parameter tensor, or the
        functional stand-in for an ``nn.Module``). It must be written in torch without in-place updates
        of its inputs, as it runs under ``torch.func.vmap`` and ``jacrev``.
    points : Tensor or tuple of Tensor
        The points, stacked along the first dimension; a tuple passes several per-point tensors (for
        example ``(x, y, sigma)`` of a data set), each with the same first dimension.
    chunk_size : int, optional
        Evaluate the per-point Jacobian in chunks of this many points to bound memory.

    Examples
    --------
    >>> def conditions(p, x, y, sigma):
    ...     return {"data": Pointwise(lambda p, xi, yi, si: (p[0] * torch.exp(-p[1] * xi) - yi) / si,
    ...                               (x, y, sigma))}
    """

    function: Callable[..., torch.Tensor]
    points: torch.Tensor | tuple[torch.Tensor, ...]
    chunk_size: int | None = None

    def __post_init__(self) -> None:
        parts = self.parts
        if not parts or not all(isinstance(part, torch.Tensor) for part in parts):
            raise TypeError("Pointwise points must be a tensor or a tuple of tensors")
        lengths = {part.shape[0] if part.dim() else -1 for part in parts}
        if len(lengths) != 1 or -1 in lengths:
            raise ValueError(f"Pointwise point tensors need one common first dimension, got shapes "
                             f"{[tuple(part.shape) for part in parts]}")
        if next(iter(lengths)) == 0:
            raise ValueError("Pointwise condition has no points")

    @property
    def parts(self) -> tuple[torch.Tensor, ...]:
        """The per-point tensors as a tuple."""
        return self.points if isinstance(self.points, tuple) else (self.points,)

    @property
    def n_points(self) -> int:
        """The number of points."""
        return int(self.parts[0].shape[0])

    def batched(self, function: Callable[..., torch.Tensor]) -> Callable[..., torch.Tensor]:
        """``function(params, *point)`` mapped over the points, parameters shared."""
        in_dims = (None,) + (0,) * len(self.parts)
        return vmap(function, in_dims=in_dims, chunk_size=self.chunk_size)

    def values(self, params: object) -> torch.Tensor:
        """The residual rows at ``params``, flattened to 1-D (point-major)."""
        return self.batched(self.function)(params, *self.parts).reshape(-1)
