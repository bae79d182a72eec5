"""Per-condition diagnostics: leverages, attribution, unconstrained directions."""

import numpy as np
import torch

import svenfit


def test_leverages_sum_to_the_rank(decay_data):
    x, y, sigma = (torch.as_tensor(a) for a in decay_data)

    def conditions(p):
        a, b, c = p
        return {"data": (a * torch.exp(-b * x) + c - y) / sigma, "c prior": (c - 0.10) / 0.02,
                "a prior": (a - 1.5) / 0.5}

    res = svenfit.least_squares(conditions, [1.0, 0.5, 0.1], names=["a", "b", "c"])
    leverages = [c.leverage for c in res.conditions.values()]
    assert abs(sum(leverages) - res.rank) < 1e-10
    assert res.rank == 3
    assert all(0 <= h <= c.rows + 1e-12 for h, c in zip(leverages, res.conditions.values()))
    for name, c in res.conditions.items():
        assert abs(c.ndof - (c.rows - c.leverage)) < 1e-12
        assert c.rows == (50 if name == "data" else 1)
    assert abs(sum(c.chi2 for c in res.conditions.values()) - res.chi2) < 1e-9 * res.chi2
    for shares in np.array(list(res.parameter_shares.values())).T:
        assert abs(shares.sum() - 1.0) < 1e-10


def _degenerate(with_prior):
    x = torch.linspace(1.0, 2.0, 20, dtype=torch.float64)
    y = 3.0 * x

    def conditions(p):
        a, c = p
        out = {"data": ((a + c) * x - y) / 0.1}
        if with_prior:
            out["c prior"] = (c - 1.0) / 0.05
        return out

    return svenfit.least_squares(conditions, {"a": 1.0, "c": 0.5})


def test_a_parameter_fixed_only_by_a_constraint_is_attributed_to_it():
    res = _degenerate(with_prior=True)
    assert res.parameter_shares["c prior"][1] > 0.999
    assert res.direction_shares["c prior"].max() > 0.49
    assert res.conditions["c prior"].leverage > 0.99
    report = str(res)
    c_line = next(line for line in report.splitlines() if line.split()[:2] == ["1", "c"])
    assert "c prior 100%" in c_line
    np.testing.assert_allclose(res.x, [2.0, 1.0], rtol=1e-10)


def test_an_unconstrained_direction_is_reported_and_gets_no_finite_error():
    res = _degenerate(with_prior=False)
    assert res.rank == 1
    assert len(res.unconstrained) == 1
    assert "a" in res.unconstrained[0] and "c" in res.unconstrained[0]
    assert np.all(np.isinf(res.errors))
    assert "unconstrained" in str(res)


def test_history_records_every_iteration(decay_data):
    x, y, sigma = (torch.as_tensor(a) for a in decay_data)
    res = svenfit.least_squares(lambda p: {"data": (p[0] * torch.exp(-p[1] * x) + p[2] - y) / sigma},
                                [1.0, 0.5, 0.0])
    h = res.history
    assert h.iteration == list(range(res.nit + 1))
    assert len(h.cost) == len(h.chi2["data"]) == len(h.time) == res.nit + 1
    assert all(later <= earlier for earlier, later in zip(h.cost, h.cost[1:]))
    np.testing.assert_allclose(h.cost[-1], res.cost, rtol=1e-12)
    np.testing.assert_allclose(2 * np.array(h.cost), h.chi2["data"], rtol=1e-12)
