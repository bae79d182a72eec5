"""The scipy-compatible surface: methods, Jacobian options, losses, weights, names, modules, results."""

import numpy as np
import pytest
import torch
from scipy import optimize

import svenfit
from svenfit.bench.problems import by_name

TIGHT = dict(ftol=1e-15, xtol=1e-15, gtol=1e-15)
SCIPY_FIELDS = ("x", "cost", "fun", "jac", "grad", "optimality", "active_mask", "nfev", "njev", "status",
                "message", "success")


@pytest.mark.parametrize("method", ["trf", "dogbox", "lm"])
def test_scipy_methods_return_the_same_result_type(method):
    problem = by_name("osborne 1")
    ours = svenfit.least_squares(problem.torch_fun(), problem.x0, **TIGHT)
    theirs = svenfit.least_squares(problem.torch_fun(), problem.x0, method=method, **TIGHT)
    assert isinstance(theirs, svenfit.FitResult) and theirs.method == method
    assert abs(theirs.cost - ours.cost) < 1e-10 * ours.cost
    assert theirs.conditions["residuals"].rows == 33 and theirs.covariance.shape == (5, 5)


def test_result_has_every_scipy_field_with_scipy_shapes():
    problem = by_name("bard")
    ours = svenfit.least_squares(problem.torch_fun(), problem.x0)
    ref = optimize.least_squares(problem.numpy_fun(), problem.x0)
    for field in SCIPY_FIELDS:
        assert field in ours, field
        assert np.shape(ours[field]) == np.shape(ref[field]), field
    np.testing.assert_allclose(ours.grad, ours.jac.T @ ours.fun, atol=1e-14)
    assert ours.chi2 == pytest.approx(2 * ours.cost)
    assert ours.ndof == 15 - 3


@pytest.mark.parametrize("jac", ["2-point", "3-point"])
def test_finite_difference_jacobians_for_numpy_functions(jac):
    problem = by_name("osborne 1")
    res = svenfit.least_squares(problem.numpy_fun(), problem.x0, jac=jac)
    ref = svenfit.least_squares(problem.torch_fun(), problem.x0)
    assert res.success and res.cost == pytest.approx(ref.cost, rel=1e-8)


def test_callable_jacobian():
    t = np.linspace(0, 2, 20)
    y = 3.0 * np.exp(-0.5 * t)
    fun = lambda p: p[0] * np.exp(-p[1] * t) - y  # noqa: E731
    jac = lambda p: np.stack([np.exp(-p[1] * t), -p[0] * t * np.exp(-p[1] * t)], axis=1)  # noqa: E731
    res = svenfit.least_squares(fun, [1.0, 1.0], jac=jac, **TIGHT)
    np.testing.assert_allclose(res.x, [3.0, 0.5], rtol=1e-12)


@pytest.mark.parametrize("loss", ["soft_l1", "huber", "cauchy", "arctan"])
@pytest.mark.parametrize("f_scale", [1.0, 3.0])
def test_robust_losses_match_scipy(loss, f_scale):
    problem = by_name("exponential decay")
    rng = np.random.default_rng(0)
    outliers = np.zeros(40)
    outliers[rng.choice(40, 4, replace=False)] = 25.0

    def fun(x, xp):
        return problem.residuals(x, xp) + (torch.as_tensor(outliers) if xp is torch else outliers)

    ref = optimize.least_squares(lambda x: fun(x, np), problem.x0, loss=loss, f_scale=f_scale, max_nfev=20000,
                                 **TIGHT)
    res = svenfit.least_squares(lambda x: fun(x, torch), problem.x0, loss=loss, f_scale=f_scale, **TIGHT)
    if loss == "arctan" and res.cost < ref.cost:
        # arctan's ρ is bounded, so the loss is not convex: the methods may stop in different local
        # minima (here scipy in a higher one).
        return
    assert abs(res.cost - ref.cost) < 1e-10 * ref.cost
    np.testing.assert_allclose(res.x, ref.x, rtol=1e-6)
    np.testing.assert_allclose(res.fun, ref.fun, rtol=1e-5, atol=1e-8)


def test_weights_scale_whole_conditions():
    def conditions(p):
        return {"a": p - 1.0, "b": p - 3.0}

    res = svenfit.least_squares(conditions, [0.0], weights={"b": 3.0})
    np.testing.assert_allclose(res.x, [(1.0 + 3.0 * 3.0) / 4.0], rtol=1e-9)
    assert res.conditions["b"].chi2 == pytest.approx(3.0 * (res.x[0] - 3.0) ** 2)


def test_names_from_a_mapping_and_params():
    res = svenfit.least_squares(lambda p: torch.stack([p[0] - 2.0, p[1] + 1.0]), {"mass": 0.0, "width": 0.0})
    assert res.names == ["mass", "width"]
    assert res.params == pytest.approx({"mass": 2.0, "width": -1.0})


def test_pointwise_condition_matches_the_stacked_one():
    t = torch.linspace(0, 2, 30, dtype=torch.float64)
    y = 3.0 * torch.exp(-0.5 * t)

    def stacked(p):
        return {"data": p[0] * torch.exp(-p[1] * t) - y}

    def pointwise(p):
        return {"data": svenfit.Pointwise(lambda q, ti, yi: q[0] * torch.exp(-q[1] * ti) - yi, (t, y))}

    a = svenfit.least_squares(stacked, [1.0, 1.0])
    b = svenfit.least_squares(pointwise, [1.0, 1.0])
    np.testing.assert_allclose(b.x, a.x, rtol=1e-12)
    np.testing.assert_allclose(b.jac, a.jac, rtol=1e-12)


def test_module_parameters_are_fitted_frozen_stay_frozen_tied_stay_tied():
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(1, 6), torch.nn.Tanh(), torch.nn.Linear(6, 6), torch.nn.Tanh(),
                              torch.nn.Linear(6, 1)).double()
    net[2].weight.requires_grad_(False)
    frozen = net[2].weight.detach().clone()
    x = torch.linspace(-1, 1, 40, dtype=torch.float64)[:, None]
    y = torch.sin(2 * x)
    res = svenfit.least_squares(lambda m: (m(x) - y).reshape(-1), net, max_nfev=200)
    assert len(res.names) == 6 + 6 + 6 + 6 + 1  # first layer, third bias, last layer
    assert torch.equal(net[2].weight, frozen)
    with torch.no_grad():
        loss = 0.5 * float(torch.sum((net(x) - y) ** 2))
    assert loss == pytest.approx(res.cost, rel=1e-10)
    assert res.cost < 1e-6


class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.encode = torch.nn.Linear(2, 2, bias=False)
        self.decode = torch.nn.Linear(2, 2, bias=False)
        self.decode.weight = self.encode.weight

    def forward(self, x):
        return self.decode(torch.tanh(self.encode(x)))


def test_tied_parameters_stay_tied():
    torch.manual_seed(1)
    model = Tied().double()
    x = torch.randn(20, 2, dtype=torch.float64)
    target = 0.5 * torch.tanh(x)
    res = svenfit.least_squares(lambda m: (m(x) - target).reshape(-1), model)
    assert len(res.names) == 4
    assert model.decode.weight is model.encode.weight
    with torch.no_grad():
        assert 0.5 * float(torch.sum((model(x) - target) ** 2)) == pytest.approx(res.cost, rel=1e-10)


def test_failed_fit_leaves_the_module_untouched():
    torch.manual_seed(2)
    net = torch.nn.Linear(1, 1).double()
    before = [p.detach().clone() for p in net.parameters()]
    calls = []

    def fun(m):
        calls.append(1)
        if len(calls) > 5:
            raise RuntimeError("boom")
        return (m(torch.ones(4, 1, dtype=torch.float64)) - 5.0).reshape(-1) * torch.arange(1.0, 5.0, dtype=torch.float64)

    res = svenfit.least_squares(fun, net)
    assert res.status == -5
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_save_load_round_trip(tmp_path, decay_data):
    x, y, sigma = (torch.as_tensor(a) for a in decay_data)
    res = svenfit.least_squares(lambda p: {"data": (p[0] * torch.exp(-p[1] * x) + p[2] - y) / sigma,
                                           "c prior": (p[2] - 0.1) / 0.02}, {"a": 1.0, "b": 0.5, "c": 0.1})
    res.save(tmp_path / "fit.json")
    back = svenfit.FitResult.load(tmp_path / "fit.json")
    for key in ("x", "covariance", "errors", "jac", "singular_values"):
        np.testing.assert_array_equal(back[key], res[key])
    assert back.names == res.names and back.status == res.status and back.message == res.message
    assert back.conditions == res.conditions
    assert back.history.cost == res.history.cost
    assert str(back) == str(res)
    with pytest.raises(ValueError, match="loaded from a file"):
        back.hesse()


def test_text_and_html_reports(decay_data):
    x, y, sigma = (torch.as_tensor(a) for a in decay_data)
    res = svenfit.least_squares(lambda p: {"data": (p[0] * torch.exp(-p[1] * x) + p[2] - y) / sigma},
                                {"a": 1.0, "b": 0.5, "c": 0.1})
    text = str(res)
    assert "success" in text and "chi2/ndof" in text and "data" in text
    for name in ("a", "b", "c"):
        assert f"{res.params[name]:.6g}" in text
    page = res._repr_html_()
    assert page.count("<table>") == 2 and "leverage" in page
