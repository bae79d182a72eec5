"""HEP terms against iminuit's costs, and whole fits against Minuit."""

import numpy as np
import pytest
import torch
from iminuit import cost as minuit_cost

from svenfit.hep.conditions import poisson_deviance
from svenfit.hep.fit import HEPFit
from svenfit.hep.histogram import BinnedData
from svenfit.hep.io import zmumu_masses
from svenfit.hep.models import Exponential, Gaussian
from svenfit.hep.peak import Z_WIDTH, peak_fit
from svenfit.hep.terms import BinnedChi2, BinnedLikelihood, Constraint
from svenfit.hep.toys import template_fit


def _toy(seed=3, n=2000, bins=80):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.normal(5.0, 0.6, n), rng.exponential(1.5, n // 4)])
    return BinnedData.from_values(values, bins=bins, range=(0.0, 10.0))


MODEL = "ns" * Gaussian(mu="mu", sigma="sigma") + "nb" * Exponential(slope="slope")
POINT = {"ns": 1900.0, "mu": 5.1, "sigma": 0.7, "nb": 450.0, "slope": -0.6}


def test_deviance_squares_equal_iminuit_extended_binned_nll():
    data = _toy()
    term = BinnedLikelihood(data, MODEL)
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in POINT.items()}
    ours = float(torch.sum(term.residuals(p) ** 2))
    theirs = term.minuit_cost()(*POINT.values())
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert (data.counts == 0).any()  # empty bins are part of the check


def test_deviance_is_smooth_and_finite_where_the_expectation_vanishes():
    counts = torch.tensor([0.0, 3.0, 5.0, 5.0, 2.0], dtype=torch.float64)
    mu = torch.tensor([2.0, 0.0, -1.0, 5.0, 2.0 + 1e-9], dtype=torch.float64, requires_grad=True)
    r = poisson_deviance(counts, mu)
    r.sum().backward()
    assert torch.isfinite(r).all() and torch.isfinite(mu.grad).all()
    r = r.detach()
    assert r[1] < 0 and r[2] < 0 and r[1] ** 2 > 100  # a vanishing expectation is heavily penalised
    assert abs(float(r[3].detach())) == 0.0
    expected_grad = 1.0 / np.sqrt(5.0)  # d/dμ of (μ − n)/√n at μ = n
    assert float(mu.grad[3]) == pytest.approx(expected_grad, rel=1e-12)


def test_weighted_histogram_deviance_equals_iminuit():
    data = _toy()
    weighted = BinnedData(data.edges, data.counts * 1.7, data.counts * 1.7 ** 2 + 0.5)
    term = BinnedLikelihood(weighted, MODEL)
    point = dict(POINT, ns=1.7 * POINT["ns"], nb=1.7 * POINT["nb"])
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in point.items()}
    assert float(torch.sum(term.residuals(p) ** 2)) == pytest.approx(term.minuit_cost()(*point.values()), rel=1e-10)


def test_chi2_and_correlated_constraint_equal_iminuit():
    data = _toy()
    chi2 = BinnedChi2(data, MODEL)
    p = {k: torch.tensor(v, dtype=torch.float64) for k, v in POINT.items()}
    assert float(torch.sum(chi2.residuals(p) ** 2)) == pytest.approx(chi2.minuit_cost()(*POINT.values()), rel=1e-12)
    cov = np.array([[0.04, 0.01], [0.01, 0.09]])
    constraint = Constraint(["mu", "sigma"], [5.0, 0.6], covariance=cov)
    ours = float(torch.sum(constraint.residuals(p) ** 2))
    theirs = minuit_cost.NormalConstraint(["mu", "sigma"], [5.0, 0.6], cov)(5.1, 0.7)
    assert ours == pytest.approx(theirs, rel=1e-12)


def test_z_peak_agrees_with_minuit():
    data = BinnedData.from_values(zmumu_masses(), bins=60, range=(60.0, 120.0))
    comparison = peak_fit(data, "voigt+exponential", fixed={"width": Z_WIDTH}).compare()
    free = ~comparison.fixed
    assert np.max(np.abs(comparison.pulls[free])) < 0.01
    assert np.max(np.abs(comparison.error_ratios[free] - 1)) < 0.02
    assert abs(comparison.sven_fval - comparison.minuit_fval) < 1e-6 * comparison.minuit_fval
    assert comparison.agrees()
    assert "agreement" in str(comparison) and "<table>" in comparison._repr_html_()


def test_gauss_newton_errors_differ_from_hesse_on_a_low_count_likelihood():
    data = BinnedData.from_values(zmumu_masses(), bins=60, range=(60.0, 120.0))
    fit = peak_fit(data, "voigt+exponential", fixed={"width": Z_WIDTH})
    gauss_newton = fit.sven(hesse=False)
    exact = fit.sven()
    assert exact.covariance_method == "hesse"
    free = ~exact.fixed
    assert np.max(np.abs(gauss_newton.errors[free] / exact.errors[free] - 1)) > 0.01


def test_small_template_fit_agrees_with_minuit():
    fit, truth = template_fit(n_bins=20, n_processes=3, seed=5)
    assert len(fit.names) == 3 + 20
    comparison = fit.compare()
    assert comparison.agrees(sigma=0.05, errors=0.02, fval=1e-4 / comparison.minuit_fval)


def test_hep_fit_input_errors():
    data = _toy()
    with pytest.raises(ValueError, match=r"no start value for parameters \['slope'\]"):
        HEPFit({"h": BinnedLikelihood(data, MODEL)}, {k: v for k, v in POINT.items() if k != "slope"})
    with pytest.raises(ValueError, match="unknown parameters"):
        HEPFit({"h": BinnedLikelihood(data, MODEL)}, dict(POINT, other=1.0))
    with pytest.raises(ValueError, match="exactly one of sigmas or covariance"):
        Constraint(["mu"], [1.0])


def test_a_model_that_goes_to_zero_in_filled_bins_does_not_produce_nan():
    data = _toy()
    narrow = "ns" * Gaussian(mu="mu", sigma="sigma")  # no background: tails of the data are far outside
    fit = HEPFit({"h": BinnedLikelihood(data, narrow)}, {"ns": 2000.0, "mu": 5.0, "sigma": 0.05},
                 limits={"sigma": (0.01, 5.0), "ns": (0, None)})
    result = fit.sven(hesse=False)
    assert np.all(np.isfinite(result.x)) and np.isfinite(result.cost)
    assert result.success
