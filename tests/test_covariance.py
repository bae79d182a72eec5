"""Covariance and curve_fit against scipy.optimize.curve_fit."""

import numpy as np
import pytest
import torch
from scipy import optimize

import svenfit

# Both fits run to the same minimum, so that the covariances are compared at the same point; scipy starts
# from svenfit's answer (it stops about 1e-9 short of the minimum from afar, which moves pcov by 1e-8).
TIGHT = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)


def model_torch(x, a, b, c):
    return a * torch.exp(-b * x) + c


def model_numpy(x, a, b, c):
    return a * np.exp(-b * x) + c


def jacobian_numpy(x, a, b, c):
    """Analytic Jacobian for scipy, whose default finite differences would limit pcov to ~1e-7."""
    e = np.exp(-b * x)
    return np.stack([e, -a * x * e, np.ones_like(x)], axis=1)


@pytest.mark.parametrize("absolute_sigma", [True, False])
def test_pcov_matches_scipy_curve_fit(decay_data, absolute_sigma):
    x, y, sigma = decay_data
    popt, pcov = svenfit.curve_fit(model_torch, x, y, p0=[1, 1, 0], sigma=sigma, absolute_sigma=absolute_sigma,
                                   **TIGHT)
    popt_ref, pcov_ref = optimize.curve_fit(model_numpy, x, y, p0=popt, sigma=sigma, jac=jacobian_numpy,
                                            absolute_sigma=absolute_sigma, **TIGHT)
    np.testing.assert_allclose(popt, popt_ref, rtol=1e-8)
    np.testing.assert_allclose(pcov, pcov_ref, rtol=1e-8)


def test_pcov_with_a_full_covariance_matrix(decay_data):
    x, y, sigma = decay_data
    cov = np.diag(sigma ** 2) + 0.3 * 0.02 ** 2 * np.exp(-np.abs(x[:, None] - x[None, :]))
    popt, pcov = svenfit.curve_fit(model_torch, x, y, p0=[1, 1, 0], sigma=cov, absolute_sigma=True, **TIGHT)
    popt_ref, pcov_ref = optimize.curve_fit(model_numpy, x, y, p0=popt, sigma=cov, jac=jacobian_numpy,
                                            absolute_sigma=True, **TIGHT)
    np.testing.assert_allclose(popt, popt_ref, rtol=1e-8)
    np.testing.assert_allclose(pcov, pcov_ref, rtol=1e-8)


def test_curve_fit_in_numpy_mode_and_full_output(decay_data):
    x, y, sigma = decay_data
    popt, pcov, info, message, status = svenfit.curve_fit(model_numpy, x, y, sigma=sigma, jac="3-point",
                                                          full_output=True)
    popt_ref, _ = optimize.curve_fit(model_numpy, x, y, sigma=sigma)
    np.testing.assert_allclose(popt, popt_ref, rtol=1e-6)
    assert status > 0 and isinstance(message, str)
    assert info["result"].names == ["x0", "x1", "x2"]
    np.testing.assert_allclose(info["fvec"], info["result"].fun)


def test_covariance_is_inverse_gauss_newton_hessian(decay_data):
    x, y, sigma = decay_data
    xt, yt, st = (torch.as_tensor(a) for a in (x, y, sigma))
    res = svenfit.least_squares(lambda p: (model_torch(xt, *p) - yt) / st, [1.0, 1.0, 0.0])
    J = res.jac
    np.testing.assert_allclose(res.covariance, np.linalg.inv(J.T @ J), rtol=1e-10)
    np.testing.assert_allclose(res.errors, np.sqrt(np.diag(res.covariance)))
    np.testing.assert_allclose(np.diag(res.correlation), 1.0)


def test_hesse_equals_inverse_exact_hessian():
    # A nonlinear fit with a large residual, where Gauss-Newton and the exact Hessian differ.
    t = torch.linspace(0.0, 2.0, 12, dtype=torch.float64)
    y = torch.tensor([3.0, 0.5, 2.6, 0.9, 1.9, 0.2, 1.5, 0.1, 1.1, 0.4, 0.6, 0.9], dtype=torch.float64)

    def fun(p):
        return p[0] * torch.exp(-p[1] * t) - y

    res = svenfit.least_squares(fun, [2.0, 0.5])
    gauss_newton = res.covariance.copy()
    cost = lambda p: 0.5 * float(torch.sum(fun(torch.as_tensor(p)) ** 2))  # noqa: E731
    h = 1e-4
    H = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            e_i, e_j = np.eye(2)[i] * h, np.eye(2)[j] * h
            H[i, j] = (cost(res.x + e_i + e_j) - cost(res.x + e_i - e_j) - cost(res.x - e_i + e_j)
                       + cost(res.x - e_i - e_j)) / (4 * h * h)
    res.hesse()
    assert res.covariance_method == "hesse"
    np.testing.assert_allclose(res.covariance, np.linalg.inv(H), rtol=1e-5)
    assert not np.allclose(res.covariance, gauss_newton, rtol=1e-2)
