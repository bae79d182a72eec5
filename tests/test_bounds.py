"""Bounds, fixed parameters and at-bound flags."""

import numpy as np
import pytest
import torch
from scipy import optimize

import svenfit


def _recording(fun, seen):
    """Record every concrete evaluation point. Calls traced by torch.func (for Jacobians) carry no data
    and are skipped: they only happen at points already evaluated concretely."""
    def wrapped(p, *args):
        try:
            seen.append(p.detach().clone().numpy())
        except RuntimeError:
            pass
        return fun(p, *args)
    return wrapped


def _decay(decay_data):
    x, y, sigma = (torch.as_tensor(a) for a in decay_data)
    return lambda p: (p[0] * torch.exp(-p[1] * x) + p[2] - y) / sigma


def test_fun_is_never_evaluated_outside_the_bounds(decay_data):
    seen = []
    lower, upper = np.array([1.45, 0.0, 0.12]), np.array([3.0, 0.72, 0.5])
    res = svenfit.least_squares(_recording(_decay(decay_data), seen), [2.5, 0.1, 0.4], bounds=(lower, upper))
    points = np.array(seen)
    assert len(points) > 5
    assert np.all(points >= lower) and np.all(points <= upper)
    assert res.success


def test_bounded_fit_matches_scipy_trf_and_flags_the_active_bound(decay_data):
    x, y, sigma = decay_data
    lower, upper = [0.0, 0.0, 0.12], [3.0, 5.0, 0.5]  # the free optimum has c ≈ 0.11 < 0.12
    res = svenfit.least_squares(_decay(decay_data), [1.0, 0.5, 0.3], bounds=(lower, upper), names=["a", "b", "c"])
    ref = optimize.least_squares(lambda p: (p[0] * np.exp(-p[1] * x) + p[2] - y) / sigma, [1.0, 0.5, 0.3],
                                 bounds=(lower, upper), ftol=1e-15, xtol=1e-15, gtol=1e-15)
    assert abs(res.cost - ref.cost) < 1e-8 * ref.cost
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6)
    assert list(res.active_mask) == [0, 0, -1] == list(ref.active_mask)
    assert list(res.at_bound) == [False, False, True]
    assert res.errors[2] == 0.0
    assert "at lower bound" in str(res)


def test_interior_optimum_covariance_is_unaffected_by_bounds(decay_data):
    free = svenfit.least_squares(_decay(decay_data), [1.0, 0.5, 0.1])
    bounded = svenfit.least_squares(_decay(decay_data), [1.0, 0.5, 0.1], bounds=([0, 0, -1], [10, 5, 1]))
    np.testing.assert_allclose(bounded.x, free.x, rtol=1e-7)
    np.testing.assert_allclose(bounded.covariance, free.covariance, rtol=1e-6)
    assert not bounded.at_bound.any()


@pytest.mark.parametrize("bounds", [([1.0, 0, 0.1], [1.0, 5, 0.1]), ([-np.inf, 0.7, -np.inf], [np.inf, 0.7, np.inf])])
def test_fixed_parameters_stay_fixed(decay_data, bounds):
    seen = []
    lb, ub = np.array(bounds[0]), np.array(bounds[1])
    fixed = lb == ub
    start = np.where(fixed, lb, [1.2, 0.5, 0.2])
    res = svenfit.least_squares(_recording(_decay(decay_data), seen), start, bounds=bounds)
    assert np.all(np.array(seen)[:, fixed] == lb[fixed])
    assert np.all(res.x[fixed] == lb[fixed])
    assert list(res.fixed) == list(fixed)
    assert np.all(res.errors[fixed] == 0.0)
    assert res.jac[:, fixed].any() == False  # noqa: E712
    assert res.success


def test_one_sided_bounds(decay_data):
    seen = []
    res = svenfit.least_squares(_recording(_decay(decay_data), seen), [1.0, 1.0, 0.3],
                                bounds=([-np.inf, 0.9, 0.15], [2.0, np.inf, np.inf]))
    points = np.array(seen)
    assert np.all(points[:, 0] <= 2.0) and np.all(points[:, 1] >= 0.9) and np.all(points[:, 2] >= 0.15)
    assert list(res.active_mask) == [0, -1, 0]  # the free optimum has b ≈ 0.72; with b = 0.9, c ≈ 0.2
    assert res.success


def test_scipy_bounds_object_is_accepted(decay_data):
    res = svenfit.least_squares(_decay(decay_data), [1.0, 0.5, 0.1], bounds=optimize.Bounds([0, 0, -1], [10, 5, 1]))
    assert res.success
