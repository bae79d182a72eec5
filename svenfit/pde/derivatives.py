"""Spatial derivatives of pointwise functions as composable function transforms.

Every helper takes a scalar function ``u(x)`` of one point ``x`` (a 1-D tensor
of ``d`` coordinates, returning a 0-d tensor) and returns a new function of
``x``. The helpers are built from :mod:`torch.func` primitives only (``grad``,
``jvp``, ``vmap``), without in-place operations or data-dependent Python
control flow, so they compose with an outer ``torch.func.vmap`` over points and
an outer ``torch.func.jacrev`` with respect to network parameters, e.g.::

    residual = lambda p, x: laplacian(lambda y: net(p, y))(x) + f(x)
    J = torch.func.vmap(torch.func.jacrev(residual), in_dims=(None, 0))(p, X)

Coordinate indices (``dims``) are non-negative integers smaller than ``d``;
they are checked when the derivative function is called, because ``d`` is only
known from the point.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.func import grad, jvp, vmap

__all__ = ["gradient", "laplacian", "partial", "derivatives"]

PointFunction = Callable[[Tensor], Tensor]
_Level = Callable[[Tensor], tuple[Tensor, tuple[Tensor, ...]]]


def _check_dims(dims: Sequence[int], d: int) -> None:
    """Raise ``IndexError`` unless every entry of ``dims`` lies in ``[0, d)``."""
    for dim in dims:
        if not 0 <= dim < d:
            raise IndexError(f"coordinate index {dim} out of range for a point with {d} coordinates")


def _unit(x: Tensor, dim: int) -> Tensor:
    """Unit vector along coordinate ``dim``, with the dtype and device of ``x``."""
    _check_dims((dim,), x.shape[-1])
    return (torch.arange(x.shape[-1], device=x.device) == dim).to(x.dtype)


def _differentiate(level: _Level, dim: int) -> _Level:
    """One more order: differentiate ``level`` along ``dim`` with a ``jvp``.

    The primal output of the ``jvp`` (the derivative one order lower) is kept
    as an auxiliary output, so all lower orders come for free.
    """

    def next_level(x: Tensor) -> tuple[Tensor, tuple[Tensor, ...]]:
        primal, tangent, lower = jvp(level, (x,), (_unit(x, dim),), has_aux=True)
        return tangent, lower + (primal,)

    return next_level


def _jet(u: PointFunction, dims: Sequence[int]) -> Callable[[Tensor], tuple[Tensor, ...]]:
    """Return ``x -> (u, ∂_{d0} u, ∂_{d0} ∂_{d1} u, ..., ∂_{d0} ... ∂_{dk-1} u)``.

    Each order adds one forward-mode ``jvp`` along a unit direction; the whole
    chain costs the same as its highest derivative alone.
    """
    level: _Level = lambda x: (u(x), ())
    for dim in dims:
        level = _differentiate(level, operator.index(dim))

    def jet(x: Tensor) -> tuple[Tensor, ...]:
        top, lower = level(x)
        return lower + (top,)

    return jet


def gradient(u: PointFunction) -> PointFunction:
    """Gradient of a scalar point function.

    Parameters
    ----------
    u : callable
        ``u(x) -> 0-d tensor`` for a point ``x`` of shape ``(d,)``.

    Returns
    -------
    callable
        ``x -> ∇u(x)`` of shape ``(d,)``, computed with one reverse-mode sweep
        (cheaper than ``d`` forward-mode directional derivatives for ``d > 1``).
    """
    return grad(u)


def laplacian(u: PointFunction, dims: Sequence[int] | None = None) -> PointFunction:
    """Laplacian of a scalar point function, over all or some coordinates.

    Parameters
    ----------
    u : callable
        ``u(x) -> 0-d tensor`` for a point ``x`` of shape ``(d,)``.
    dims : sequence of int, optional
        Coordinates to sum the second derivatives over, e.g. ``(1, 2)`` for the
        spatial Laplacian of a ``(t, x, y)`` problem. Default: all ``d``.

    Returns
    -------
    callable
        ``x -> Σ_{i in dims} ∂²u/∂x_i²`` as a 0-d tensor.

    Raises
    ------
    ValueError
        If ``dims`` is empty or has repeated entries.
    """
    # Formulation: forward-over-reverse Hessian-vector products along the
    # selected unit directions, batched with vmap, keeping only the diagonal
    # entries. Under vmap over directions the network's forward pass and the
    # reverse sweep inside ``grad`` are evaluated once and shared; only the
    # tangents are batched. Forward-over-forward (``partial(u, i, i)`` summed
    # over i) re-evaluates the network for every direction. Measured on CPU for
    # the quantity that matters here, the per-point residual Jacobian
    # ``vmap(jacrev(residual))`` of a tanh MLP (d = 2..5, width 32..128), this
    # is 1.6-2.9x faster than forward-over-forward for two or more directions
    # (equal within noise for one) and as fast as ``trace(jacfwd(jacrev(u)))``,
    # which computes all d Hessian columns even when only some are wanted.
    if dims is not None:
        dims = tuple(operator.index(dim) for dim in dims)
        if not dims:
            raise ValueError("dims must not be empty")
        if len(set(dims)) != len(dims):
            raise ValueError(f"dims has repeated entries: {dims}")
    du = grad(u)

    def lap(x: Tensor) -> Tensor:
        selected = range(x.shape[-1]) if dims is None else dims
        _check_dims(selected, x.shape[-1])
        directions = torch.eye(x.shape[-1], dtype=x.dtype, device=x.device)[list(selected)]
        hessian_rows = vmap(lambda e: jvp(du, (x,), (e,))[1])(directions)
        return (hessian_rows * directions).sum()

    return lap


def partial(u: PointFunction, *dims: int) -> PointFunction:
    """Mixed partial derivative of any order, by nested forward-mode ``jvp``.

    Parameters
    ----------
    u : callable
        ``u(x) -> 0-d tensor`` for a point ``x`` of shape ``(d,)``.
    *dims : int
        Coordinates to differentiate along, one per order: ``partial(u, 0, 1, 1)``
        is ``∂³u / ∂x_0 ∂x_1²``. With no dims the result is ``u`` itself.

    Returns
    -------
    callable
        ``x -> ∂^k u / ∂x_{dims[0]} ... ∂x_{dims[k-1]}`` as a 0-d tensor; each
        order costs one more ``jvp``.
    """
    jet = _jet(u, dims)
    return lambda x: jet(x)[-1]


def derivatives(u: PointFunction, *specs: Sequence[int]) -> Callable[[Tensor], tuple[Tensor, ...]]:
    """Several partial derivatives at once, sharing nested ``jvp`` chains.

    Mixed partials are assumed to commute (``u`` smooth enough), so each spec
    is sorted; a spec that is a prefix of another sorted spec is read off that
    spec's ``jvp`` chain for free. For example the Burgers terms
    ``derivatives(u, (), (0,), (1,), (1, 1))`` on ``(t, x)`` points cost two
    chains, ``(0,)`` and ``(1, 1)``, instead of four evaluations.

    Parameters
    ----------
    u : callable
        ``u(x) -> 0-d tensor`` for a point ``x`` of shape ``(d,)``.
    *specs : sequence of int
        One tuple of coordinates per requested derivative, as for
        :func:`partial`; ``()`` requests ``u`` itself.

    Returns
    -------
    callable
        ``x -> tuple`` with one 0-d tensor per spec, in the order given.

    Raises
    ------
    ValueError
        If no spec is given.
    """
    if not specs:
        raise ValueError("at least one derivative spec is required")
    sorted_specs = [tuple(sorted(operator.index(dim) for dim in spec)) for spec in specs]
    unique = sorted(set(sorted_specs))
    chains = [s for s in unique if not any(o != s and o[: len(s)] == s for o in unique)]
    source = [next(i for i, c in enumerate(chains) if c[: len(s)] == s) for s in sorted_specs]
    jets = [_jet(u, chain) for chain in chains]

    def evaluate(x: Tensor) -> tuple[Tensor, ...]:
        values = [jet(x) for jet in jets]
        return tuple(values[i][len(s)] for i, s in zip(source, sorted_specs))

    return evaluate
