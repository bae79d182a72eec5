"""svenfit against scipy.optimize.least_squares on the standard problem panel."""

import numpy as np
import pytest
from scipy.optimize import least_squares as scipy_least_squares

import svenfit
from svenfit.bench.problems import PANEL, by_name

TIGHT = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)


def _scipy_reference(problem, x0=None):
    start = np.array(problem.x0 if x0 is None else x0, dtype=float)
    return scipy_least_squares(problem.numpy_fun(), start, method="trf", max_nfev=20000, **TIGHT)


def _same_minimum(cost, reference_cost, start_cost):
    """Relative agreement 1e-10; zero-residual problems count as agreeing when both are ~0."""
    if abs(cost - reference_cost) <= 1e-10 * reference_cost:
        return True
    return max(cost, reference_cost) <= 1e-20 * start_cost


@pytest.mark.parametrize("problem", PANEL, ids=[p.name for p in PANEL])
def test_reaches_the_scipy_minimum(problem):
    reference = _scipy_reference(problem)
    result = svenfit.least_squares(problem.torch_fun(), problem.x0, **TIGHT)
    start_cost = 0.5 * float(np.sum(problem.numpy_fun()(np.array(problem.x0)) ** 2))
    assert result.success, result.message
    assert _same_minimum(result.cost, reference.cost, start_cost), (result.cost, reference.cost)
    assert np.all(np.isfinite(result.x))


WELL_POSED = ["exponential decay", "gaussian peak", "bard", "osborne 1", "freudenstein-roth"]


@pytest.mark.parametrize("name", WELL_POSED)
def test_default_settings_converge_fully(name):
    problem = by_name(name)
    reference = _scipy_reference(problem)
    result = svenfit.least_squares(problem.torch_fun(), problem.x0)
    relative = np.abs(result.x - reference.x) / np.abs(reference.x)
    assert result.success
    assert relative.max() < 1e-6, relative


@pytest.mark.parametrize("name, start", [
    ("rosenbrock", (-12.0, 10.0)),
    ("exponential decay", (20.0, 0.01, -5.0)),
    ("gaussian peak", (5.0, -2.0, 4.0, 0.0, 0.0)),
    ("brown badly scaled", (1e3, 1e-3)),
])
def test_hard_starts_converge(name, start):
    problem = by_name(name)
    reference = _scipy_reference(problem)
    result = svenfit.least_squares(problem.torch_fun(), start, **TIGHT)
    start_cost = 0.5 * float(np.sum(problem.numpy_fun()(np.array(start)) ** 2))
    assert _same_minimum(result.cost, reference.cost, start_cost), (result.cost, reference.cost)
    np.testing.assert_allclose(result.x, reference.x, rtol=1e-6, atol=1e-9)


def test_badly_scaled_parameters_with_x_scale():
    problem = by_name("brown badly scaled")
    result = svenfit.least_squares(problem.torch_fun(), problem.x0, x_scale="jac", **TIGHT)
    np.testing.assert_allclose(result.x, [1e6, 2e-6], rtol=1e-9)
