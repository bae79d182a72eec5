"""Tests for svenfit.pde.derivatives: analytic values and composition with vmap/jacrev."""

from __future__ import annotations

import math

import pytest
import torch
from torch.func import hessian, jacfwd, jacrev, vmap

from svenfit.pde.derivatives import derivatives, gradient, laplacian, partial

F64 = torch.float64
PI = math.pi


def wave(x: torch.Tensor) -> torch.Tensor:
    """u(t, x, y) = sin(pi x) sin(pi y) exp(-t)."""
    return torch.sin(PI * x[1]) * torch.sin(PI * x[2]) * torch.exp(-x[0])


def poly(x: torch.Tensor) -> torch.Tensor:
    """u = x0^3 x1^2 + 2 x0 x1."""
    return x[0] ** 3 * x[1] ** 2 + 2 * x[0] * x[1]


RATES = torch.tensor([0.7, -1.3, 0.4], dtype=F64)


def exp_product(x: torch.Tensor) -> torch.Tensor:
    """u = exp(a . x), so any partial along dims is prod(a[dims]) u."""
    return torch.exp(RATES @ x)


@pytest.fixture
def points() -> torch.Tensor:
    return torch.rand(16, 3, generator=torch.Generator().manual_seed(0), dtype=F64)


def tanh_mlp(sizes: list[int]):
    """Functional tanh MLP ``net(p, x) -> 0-d`` with a flat parameter vector and its size."""
    shapes = [(b, a) for a, b in zip(sizes[:-1], sizes[1:])]
    n_params = sum(b * a + b for b, a in shapes)

    def net(p: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        h, offset = x, 0
        for layer, (b, a) in enumerate(shapes):
            weight = p[offset : offset + a * b].reshape(b, a)
            bias = p[offset + a * b : offset + a * b + b]
            offset += a * b + b
            h = weight @ h + bias
            if layer < len(shapes) - 1:
                h = torch.tanh(h)
        return h[0]

    return net, n_params


def finite_difference_jacobian(residual, p: torch.Tensor, points: torch.Tensor, h: float = 1e-5) -> torch.Tensor:
    """Central differences of ``vmap(residual)`` w.r.t. ``p``, shape (n_points, n_params)."""
    batched = vmap(residual, in_dims=(None, 0))
    columns = []
    for k in range(p.numel()):
        step = torch.zeros_like(p)
        step[k] = h
        columns.append((batched(p + step, points) - batched(p - step, points)) / (2 * h))
    return torch.stack(columns, dim=1)


# --- analytic values -------------------------------------------------------


def test_gradient_wave(points):
    t, x, y = points.T
    expected = torch.stack(
        [
            -torch.sin(PI * x) * torch.sin(PI * y) * torch.exp(-t),
            PI * torch.cos(PI * x) * torch.sin(PI * y) * torch.exp(-t),
            PI * torch.sin(PI * x) * torch.cos(PI * y) * torch.exp(-t),
        ],
        dim=1,
    )
    torch.testing.assert_close(vmap(gradient(wave))(points), expected)


def test_laplacian_all_dims_and_subset(points):
    u = vmap(wave)(points)
    torch.testing.assert_close(vmap(laplacian(wave))(points), (1 - 2 * PI**2) * u)
    torch.testing.assert_close(vmap(laplacian(wave, dims=(1, 2)))(points), -2 * PI**2 * u)
    torch.testing.assert_close(vmap(laplacian(wave, dims=[0]))(points), u)


def test_laplacian_matches_hessian_trace_of_mlp(points):
    net, n_params = tanh_mlp([3, 8, 8, 1])
    p = torch.randn(n_params, generator=torch.Generator().manual_seed(1), dtype=F64)
    u = lambda x: net(p, x)
    expected = vmap(lambda x: torch.trace(hessian(u)(x)))(points)
    torch.testing.assert_close(vmap(laplacian(u))(points), expected)


@pytest.mark.parametrize(
    "dims, expected",
    [
        ((), lambda x0, x1: x0**3 * x1**2 + 2 * x0 * x1),
        ((0,), lambda x0, x1: 3 * x0**2 * x1**2 + 2 * x1),
        ((1,), lambda x0, x1: 2 * x0**3 * x1 + 2 * x0),
        ((0, 0), lambda x0, x1: 6 * x0 * x1**2),
        ((1, 1), lambda x0, x1: 2 * x0**3),
        ((0, 1), lambda x0, x1: 6 * x0**2 * x1 + 2),
        ((1, 0), lambda x0, x1: 6 * x0**2 * x1 + 2),
        ((0, 1, 1), lambda x0, x1: 6 * x0**2),
        ((0, 0, 0), lambda x0, x1: 6 * x1**2),
        ((0, 0, 1, 1), lambda x0, x1: 12 * x0),
        ((1, 1, 1), lambda x0, x1: 0 * x0),
    ],
)
def test_partial_polynomial(points, dims, expected):
    x0, x1 = points[:, 0], points[:, 1]
    torch.testing.assert_close(vmap(partial(poly, *dims))(points[:, :2]), expected(x0, x1))


@pytest.mark.parametrize("dims", [(0,), (2,), (1, 1), (0, 2), (2, 1, 0), (1, 1, 1), (0, 2, 2, 1)])
def test_partial_exp_product(points, dims):
    expected = torch.prod(RATES[list(dims)]) * vmap(exp_product)(points)
    torch.testing.assert_close(vmap(partial(exp_product, *dims))(points), expected)


def test_partial_mixed_wave(points):
    t, x, y = points.T
    decay = torch.exp(-t)
    u_txy = -(PI**2) * torch.cos(PI * x) * torch.cos(PI * y) * decay
    u_xxx = -(PI**3) * torch.cos(PI * x) * torch.sin(PI * y) * decay
    torch.testing.assert_close(vmap(partial(wave, 0, 1, 2))(points), u_txy)
    torch.testing.assert_close(vmap(partial(wave, 1, 1, 1))(points), u_xxx)


def test_derivatives_match_partials(points):
    specs = [(), (0,), (1,), (1, 1), (2, 1), (1, 2, 1)]
    values = vmap(derivatives(wave, *specs))(points)
    assert len(values) == len(specs)
    for spec, value in zip(specs, values):
        torch.testing.assert_close(value, vmap(partial(wave, *spec))(points))


def test_derivatives_share_chains():
    calls = []

    def u(x):
        calls.append(1)
        return exp_product(x)

    x = torch.tensor([0.1, 0.2, 0.3], dtype=F64)
    derivatives(u, (), (0,), (1,), (1, 1))(x)
    assert len(calls) == 2  # chains (0,) and (1, 1); () and (1,) are read off them


# --- composition with vmap over points and jacrev over parameters -----------


def test_laplacian_residual_jacobian_matches_finite_differences():
    net, n_params = tanh_mlp([2, 6, 6, 1])
    gen = torch.Generator().manual_seed(2)
    p = 0.5 * torch.randn(n_params, generator=gen, dtype=F64)
    points = torch.rand(12, 2, generator=gen, dtype=F64)

    def residual(p, x):
        return laplacian(lambda y: net(p, y))(x) + torch.sin(PI * x[0]) * torch.sin(PI * x[1])

    jac = vmap(jacrev(residual), in_dims=(None, 0))(p, points)
    assert jac.shape == (12, n_params)
    torch.testing.assert_close(jac, finite_difference_jacobian(residual, p, points), rtol=1e-6, atol=1e-7)


def test_burgers_residual_jacobian_matches_finite_differences():
    net, n_params = tanh_mlp([2, 6, 6, 1])
    gen = torch.Generator().manual_seed(3)
    p = 0.5 * torch.randn(n_params, generator=gen, dtype=F64)
    points = torch.rand(12, 2, generator=gen, dtype=F64)

    def residual(p, x):  # u_t + u u_x - nu u_xx on (t, x)
        u, u_t, u_x, u_xx = derivatives(lambda y: net(p, y), (), (0,), (1,), (1, 1))(x)
        return u_t + u * u_x - 0.01 / PI * u_xx

    def residual_by_partials(p, x):
        u = lambda y: net(p, y)
        return partial(u, 0)(x) + u(x) * partial(u, 1)(x) - 0.01 / PI * partial(u, 1, 1)(x)

    jac = vmap(jacrev(residual), in_dims=(None, 0))(p, points)
    torch.testing.assert_close(jac, vmap(jacrev(residual_by_partials), in_dims=(None, 0))(p, points))
    torch.testing.assert_close(jac, vmap(jacfwd(residual), in_dims=(None, 0), chunk_size=5)(p, points))
    torch.testing.assert_close(jac, finite_difference_jacobian(residual, p, points), rtol=1e-6, atol=1e-7)


def test_gradient_and_third_partial_compose_with_jacrev():
    net, n_params = tanh_mlp([2, 5, 1])
    gen = torch.Generator().manual_seed(4)
    p = torch.randn(n_params, generator=gen, dtype=F64)
    points = torch.rand(6, 2, generator=gen, dtype=F64)

    def residual(p, x):
        u = lambda y: net(p, y)
        return gradient(u)(x).sum() + partial(u, 0, 1, 1)(x)

    jac = vmap(jacrev(residual), in_dims=(None, 0))(p, points)
    torch.testing.assert_close(jac, finite_difference_jacobian(residual, p, points), rtol=1e-6, atol=1e-7)


# --- errors -----------------------------------------------------------------


def test_dimension_errors():
    x = torch.zeros(2, dtype=F64)
    with pytest.raises(IndexError):
        partial(poly, 2)(x)
    with pytest.raises(IndexError):
        laplacian(poly, dims=(0, 5))(x)
    with pytest.raises(ValueError):
        laplacian(poly, dims=())
    with pytest.raises(ValueError):
        laplacian(poly, dims=(1, 1))
    with pytest.raises(ValueError):
        derivatives(poly)
    with pytest.raises(TypeError):
        partial(poly, 0.5)
