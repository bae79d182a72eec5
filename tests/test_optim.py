"""svenfit.optim.Sven: the torch.optim interface to Sven steps."""

import io
import math

import numpy as np
import pytest
import torch

from svenfit.optim import Sven


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """These problems are tiny: intra-op threads only add OpenMP waits, which a busy machine makes slow."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _linear_problem(m=5, n=12):
    """An underdetermined linear least-squares problem ``X w = y`` with w starting at zero."""
    X = torch.randn(m, n, dtype=torch.float64)
    y = torch.randn(m, dtype=torch.float64)
    model = torch.nn.Linear(n, 1, bias=False).double()
    torch.nn.init.zeros_(model.weight)
    return model, X, y


def _mlp():
    return torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).double()


def _regression_data():
    x = torch.linspace(-2.0, 2.0, 64, dtype=torch.float64).unsqueeze(-1)
    return x, torch.sin(2.0 * x).squeeze(-1)


def _cost(model, x, y):
    with torch.no_grad():
        r = model(x).squeeze(-1) - y
        return 0.5 * float(r @ r)


@pytest.mark.parametrize("factorization", ["auto", "dense", "gram", "randomized"])
def test_one_plain_step_from_zero_is_the_minimum_norm_lstsq_solution(factorization):
    model, X, y = _linear_problem()
    opt = Sven(model.parameters(), damping=0.0, factorization=factorization)
    cost = opt.step(lambda: model(X).squeeze(-1) - y)
    expected = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), expected, rtol=0, atol=1e-10)
    assert float(cost) == pytest.approx(0.5 * float(y @ y), rel=1e-14)
    state = opt.state[model.weight]
    assert state["step"] == 1 and state["rank"] == 5 and state["accepted"]


def test_lr_scales_the_step_and_is_read_from_the_groups_as_schedulers_set_it():
    model, X, y = _linear_problem()
    opt = Sven(model.parameters(), lr=1.0, damping=0.0)
    opt.param_groups[0]["lr"] = 0.5
    opt.step(lambda: {"data": model(X).squeeze(-1) - y})
    expected = 0.5 * np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize("damping", ["adaptive", 1e-6])
def test_minibatch_mlp_regression_loses_four_orders_of_magnitude(damping):
    x, y = _regression_data()
    model = _mlp()
    opt = Sven(model.parameters(), damping=damping)
    start = _cost(model, x, y)
    for _ in range(100):
        for rows in torch.randperm(64).split(32):
            xb, yb = x[rows], y[rows]
            opt.step(lambda: {"data": model(xb).squeeze(-1) - yb})
    assert _cost(model, x, y) < 1e-4 * start
    assert opt.state[model[0].weight]["step"] == 200


def test_pinn_residual_with_input_derivatives_inside_the_closure():
    net = _mlp()
    x = torch.linspace(0.0, 2.0, 40, dtype=torch.float64).unsqueeze(-1)
    origin = torch.zeros(1, 1, dtype=torch.float64)

    def closure():
        xc = x.clone().requires_grad_(True)
        u = net(xc)
        (du,) = torch.autograd.grad(u.sum(), xc, create_graph=True)
        return {"ode": (du + u).squeeze(-1), "initial": net(origin).squeeze() - 1.0}

    opt = Sven(net.parameters(), damping="adaptive")
    costs = [float(opt.step(closure)) for _ in range(60)]
    assert costs[-1] < 1e-4 * costs[0]
    with torch.no_grad():
        assert float((net(x).squeeze(-1) - torch.exp(-x.squeeze(-1))).abs().max()) < 1e-3


def _train(model, opt, batches):
    x, y = _regression_data()
    for rows in batches:
        xb, yb = x[rows], y[rows]
        opt.step(lambda: model(xb).squeeze(-1) - yb)


@pytest.mark.parametrize("damping", ["adaptive", 1e-4])
def test_state_dict_round_trip_continues_identically(damping):
    batches = [torch.randperm(64)[:32] for _ in range(30)]
    model = _mlp()
    opt = Sven(model.parameters(), damping=damping)
    _train(model, opt, batches[:15])
    saved = io.BytesIO()
    torch.save({"model": model.state_dict(), "opt": opt.state_dict()}, saved)
    _train(model, opt, batches[15:])

    saved.seek(0)
    checkpoint = torch.load(saved)
    restored = _mlp()
    restored.load_state_dict(checkpoint["model"])
    restored_opt = Sven(restored.parameters(), damping=damping)
    restored_opt.load_state_dict(checkpoint["opt"])
    assert restored_opt.state[restored[0].weight]["step"] == 15
    _train(restored, restored_opt, batches[15:])

    for a, b in zip(model.parameters(), restored.parameters()):
        assert torch.equal(a, b)
    assert restored_opt.state_dict()["state"] == opt.state_dict()["state"]


@pytest.mark.parametrize("damping", ["adaptive", 0.0])
def test_parameters_never_become_nan_when_trial_points_are_nan(damping):
    w = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    # The minimum at w = 2 lies beyond w = 1, where the residual is NaN.
    opt = Sven([w], damping=damping)
    for _ in range(30):
        opt.step(lambda: torch.where(w < 1.0, w - 2.0, torch.full_like(w, math.nan)))
        assert bool(torch.isfinite(w).all()) and float(w.detach()) < 1.0
    assert float(w.detach()) > 0.99


def test_parameters_without_a_path_to_the_residual_stay_put():
    model, X, y = _linear_problem()
    unused = torch.nn.Parameter(torch.ones(3, dtype=torch.float64))
    frozen = torch.nn.Parameter(torch.ones(2, dtype=torch.float64), requires_grad=False)
    opt = Sven([{"params": [unused, frozen]}, {"params": model.parameters()}], damping=0.0)
    opt.step(lambda: model(X).squeeze(-1) - y)
    assert torch.equal(unused, torch.ones(3, dtype=torch.float64))
    assert torch.equal(frozen, torch.ones(2, dtype=torch.float64))
    expected = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), expected, rtol=0, atol=1e-10)


def test_a_residual_independent_of_the_parameters_takes_no_step():
    w = torch.nn.Parameter(torch.ones(2, dtype=torch.float64))
    opt = Sven([w], damping="adaptive")
    assert float(opt.step(lambda: torch.tensor([3.0, 4.0], dtype=torch.float64))) == 12.5
    assert torch.equal(w, torch.ones(2, dtype=torch.float64))


@pytest.mark.parametrize("options, match", [
    ({"lr": 0.0}, "lr"), ({"lr": -1.0}, "lr"), ({"lr": math.inf}, "lr"),
    ({"k": 0}, "k must"), ({"k": 2.5}, "k must"),
    ({"rtol": 1.0}, "rtol"), ({"rtol": -0.1}, "rtol"),
    ({"damping": -1e-3}, "damping"), ({"damping": "nielsen"}, "damping"), ({"damping": math.nan}, "damping"),
    ({"factorization": "qr"}, "factorization"),
])
def test_invalid_hyper_parameters_are_rejected(options, match):
    with pytest.raises(ValueError, match=match):
        Sven([torch.nn.Parameter(torch.zeros(2))], **options)


def test_parameter_groups_must_share_hyper_parameters():
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="share 'lr'"):
        Sven([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = Sven([{"params": [a]}, {"params": [b], "lr": 1.0}])
    c = torch.nn.Parameter(torch.zeros(2))
    with pytest.raises(ValueError, match="share 'k'"):
        opt.add_param_group({"params": [c], "k": 1})
    assert len(opt.param_groups) == 2
    opt.param_groups[1]["damping"] = 0.5
    with pytest.raises(ValueError, match="share 'damping'"):
        opt.step(lambda: a + b)


def test_bad_closures_raise_clear_errors():
    w = torch.nn.Parameter(torch.tensor([1.0, math.inf]))
    opt = Sven([w])
    with pytest.raises(ValueError, match="closure"):
        opt.step()
    with pytest.raises(ValueError, match=r"'residuals' has shape \(2, 1\).*0-d or 1-D"):
        opt.step(lambda: w.reshape(2, 1))
    with pytest.raises(ValueError, match="empty mapping"):
        opt.step(lambda: {})
    with pytest.raises(TypeError, match="tensor"):
        opt.step(lambda: [w])
    with pytest.raises(TypeError, match="'data' must be a tensor"):
        opt.step(lambda: {"data": 1.0})
    with pytest.raises(ValueError, match="no residuals"):
        opt.step(lambda: w[:0])
    with pytest.raises(ValueError, match="residual 'data' is not finite at the current parameters"):
        opt.step(lambda: {"prior": w[0], "data": w})
    assert opt.state[w] == {}


def test_a_closure_that_raises_at_the_trial_point_leaves_the_parameters_unchanged():
    w = torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))

    def closure():
        if float(w.detach().abs().max()) > 0:
            raise RuntimeError("simulation failed")
        return w - 1.0

    with pytest.raises(RuntimeError, match="simulation failed"):
        Sven([w], damping="adaptive").step(closure)
    assert torch.equal(w, torch.zeros(2, dtype=torch.float64))


def test_float32_parameters_stay_float32():
    model, X, y = _linear_problem()
    model, X, y = model.float(), X.float(), y.float()
    opt = Sven(model.parameters(), damping=0.0)
    cost = opt.step(lambda: model(X).squeeze(-1) - y)
    assert model.weight.dtype == torch.float32 and cost.dtype == torch.float32
    expected = np.linalg.lstsq(X.double().numpy(), y.double().numpy(), rcond=None)[0]
    np.testing.assert_allclose(model.weight.detach().numpy().ravel(), expected, rtol=0, atol=1e-4)
