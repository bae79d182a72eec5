"""PINN problems through the engine: pointwise Jacobians, condition builders, a small fit, plots."""

import numpy as np
import pytest
import torch

import svenfit
from svenfit.parameters import ParameterSpace
from svenfit.pde import conditions as c
from svenfit.pde.derivatives import laplacian
from svenfit.pde.problems import burgers, heat_1d, mlp, poisson_2d
from svenfit.pde.sampling import Box
from svenfit.problem import Problem


def test_pointwise_jacobian_equals_the_stacked_residual_jacobian_on_the_poisson_network():
    problem = poisson_2d(interior=100, boundary=40)
    space = ParameterSpace(problem.model, None, (-np.inf, np.inf), torch.float64, None)
    pointwise = Problem(problem.conditions, space)
    stacked = Problem(lambda m: {name: cond.values(m) for name, cond in problem.conditions(m).items()}, space)
    r1, J1 = pointwise.jacobian(space.x0)
    r2, J2 = stacked.jacobian(space.x0)
    assert J1.shape == (140, 257)
    torch.testing.assert_close(r1, r2, rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(J1, J2, rtol=1e-11, atol=1e-11)


def test_a_small_pinn_loss_drops_by_four_orders_within_seconds():
    problem = poisson_2d(interior=200, boundary=60, width=16)
    start = 0.5 * sum(float(torch.sum(cond.values(problem.model).detach() ** 2))
                      for cond in problem.conditions(problem.model).values())
    result = svenfit.least_squares(problem.conditions, problem.model, max_nfev=400, acceleration=True)
    assert result.cost < 1e-4 * start
    assert problem.error() < 1e-2
    assert set(result.conditions) == {"pde", "boundary"}


def test_condition_builders_against_a_known_field():
    box = Box([0.0, 0.0], [1.0, 1.0])
    points = box.interior(16, seed=1)
    field = lambda p, x: p[0] * x[0] ** 2 + p[1] * x[1]  # noqa: E731
    params = torch.tensor([2.0, 3.0], dtype=torch.float64)
    x, y = points[:, 0], points[:, 1]
    values = c.dirichlet(points, lambda q: q[0], field).values(params)
    torch.testing.assert_close(values, 2 * x ** 2 + 3 * y - x)
    normal = box.normal(("x0", "upper"))
    torch.testing.assert_close(c.neumann(points, normal, 1.0, field).values(params), 4 * x - 1.0)
    torch.testing.assert_close(c.data(points, y, 0.5, field).values(params), (2 * x ** 2 + 2 * y) / 0.5)
    sigma = torch.full((16,), 0.25, dtype=torch.float64)
    torch.testing.assert_close(c.data(points, y, sigma, field).values(params), (2 * x ** 2 + 2 * y) / 0.25)
    torch.testing.assert_close(c.residual(lambda u, q: laplacian(u)(q) - 4.0, points, field).values(params),
                               torch.zeros(16, dtype=torch.float64), atol=1e-12, rtol=0)
    with pytest.raises(ValueError, match="3 values for 16 points"):
        c.dirichlet(points, torch.zeros(3), field)


@pytest.mark.parametrize("build", [poisson_2d, heat_1d, burgers])
def test_problem_references_and_shapes(build):
    problem = build()
    assert problem.reference.shape == (problem.grid.shape[0],)
    assert np.prod(problem.grid_shape) == problem.grid.shape[0]
    conditions = problem.conditions(problem.model)
    assert "pde" in conditions and all(isinstance(v, svenfit.Pointwise) for v in conditions.values())
    assert 0.1 < problem.error() < 100  # an untrained network is far from the solution


def test_plots_are_written(tmp_path):
    from svenfit.pde import plots
    problem = heat_1d(interior=100, boundary=30, width=8)
    result = svenfit.least_squares(problem.conditions, problem.model, max_nfev=20)
    assert plots.solution_and_error(problem, tmp_path / "s.png").stat().st_size > 5000
    assert plots.loss_history(result, tmp_path / "l.png").stat().st_size > 5000


def test_mlp_shapes():
    net = mlp([2, 64, 64, 48, 48, 1])
    assert sum(p.numel() for p in net.parameters()) == 9873
