"""Bad input gets a clear exception; failures mid-fit return the best point with a status that says why."""

import math

import numpy as np
import pytest
import torch

import svenfit


def line(p):
    x = torch.linspace(0, 1, 10, dtype=p.dtype)
    return p[0] + p[1] * x - (1.0 + 2.0 * x)


def test_residual_not_1d():
    with pytest.raises(ValueError, match=r"condition 'data' returned shape \(2, 5\); residuals must be 1-D"):
        svenfit.least_squares(lambda p: {"data": line(p).reshape(2, 5)}, [0.0, 0.0])


def test_residual_length_changing_between_calls():
    calls = []

    def fun(p):
        calls.append(1)
        return line(p)[: 10 - len(calls) % 2]

    with pytest.raises(ValueError, match="returned 10 rows but 9 at x0; residual lengths must not change"):
        svenfit.least_squares(fun, [0.0, 0.0])


def test_non_finite_x0():
    with pytest.raises(ValueError, match=r"x0 has non-finite values for b: \[nan\]"):
        svenfit.least_squares(line, {"a": 0.0, "b": float("nan")})


def test_x0_outside_bounds():
    with pytest.raises(ValueError, match=r"x0 is outside the bounds: x1=3.0 not in \[0.0, 2.0\]"):
        svenfit.least_squares(line, [0.0, 3.0], bounds=([-1, 0], [1, 2]))


def test_names_of_the_wrong_length():
    with pytest.raises(ValueError, match="names has 3 entries but x0 has 2 parameters"):
        svenfit.least_squares(line, [0.0, 0.0], names=["a", "b", "c"])


def test_empty_condition_mapping():
    with pytest.raises(ValueError, match="fun returned an empty mapping of conditions"):
        svenfit.least_squares(lambda p: {}, [0.0, 0.0])


def test_fun_raising():
    def fun(p):
        raise ZeroDivisionError("model undefined here")

    with pytest.raises(RuntimeError, match="fun raised ZeroDivisionError when evaluated at x0: model undefined"):
        svenfit.least_squares(fun, [0.0, 0.0])


def test_nan_residual_at_x0():
    def fun(p):
        r = line(p)
        return {"data": r, "prior": torch.stack([p[0] - 1.0, torch.log(p[1] - 1.0)])}

    with pytest.raises(ValueError, match=r"condition 'prior' has non-finite residuals at x0 in rows \[1\] \(1 of 2\)"):
        svenfit.least_squares(fun, [0.0, 0.0])


def test_numpy_output_with_autograd_is_refused():
    with pytest.raises(TypeError, match="jac='2-point'"):
        svenfit.least_squares(lambda p: {"data": np.zeros(3)}, [0.0])


@pytest.mark.parametrize("kwargs, match", [
    (dict(method="newton"), "method must be one of"), (dict(loss="l3"), "loss must be one of"),
    (dict(k=0), "k must be a positive integer"), (dict(damping=-1.0), "damping must be"),
    (dict(weights={"nope": 1.0}), "weights name unknown conditions"), (dict(f_scale=0.0), "f_scale must be positive"),
    (dict(bounds=([1, 0], [0, 1])), "lower bound above upper bound for x0"),
    (dict(ftol=None, xtol=None, gtol=None), "at least one of ftol"),
])
def test_bad_options(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        svenfit.least_squares(line, [0.0, 0.5], **kwargs)


def test_nan_mid_fit_is_damped_and_the_fit_still_converges():
    # The residual is NaN for p > 2; the minimum of (p - 1.9)² sits just inside, so long steps fail.
    def fun(p):
        return torch.stack([torch.where(p[0] > 2.0, torch.full_like(p[0], math.nan), 10.0 * (p[0] - 1.9)),
                            torch.sqrt(2.0 - torch.clamp(p[0], max=2.0)) - math.sqrt(0.1)])

    res = svenfit.least_squares(fun, [-5.0])
    assert res.success, res.message
    np.testing.assert_allclose(res.x, [1.9], rtol=1e-8)


def test_nan_everywhere_else_returns_the_best_finite_point_and_says_so():
    def fun(p):
        bad = torch.abs(p[0] - 3.0) > 1e-300
        return torch.stack([torch.where(bad, torch.full_like(p[0], math.nan), p[0]), p[0] - 1.0])

    res = svenfit.least_squares(fun, [3.0])
    assert res.status == -4 and not res.success
    assert "non-finite" in res.message
    assert res.x.tolist() == [3.0]


def test_callback_stop_iteration_returns_the_best_point():
    seen = []

    def callback(intermediate_result):
        seen.append(intermediate_result.cost)
        if len(seen) == 2:
            raise StopIteration

    res = svenfit.least_squares(lambda p: torch.exp(p) - 2.0, [3.0, 4.0], callback=callback)
    assert res.status == -2 and "callback" in res.message
    assert res.cost == pytest.approx(seen[-1])


def test_callback_with_x_signature():
    xs = []
    svenfit.least_squares(line, [0.0, 0.0], callback=lambda x: xs.append(x.copy()))
    assert len(xs) >= 1 and xs[-1].shape == (2,)


def test_keyboard_interrupt_returns_the_best_point():
    calls = []

    def fun(p):
        calls.append(1)
        if len(calls) == 12:
            raise KeyboardInterrupt
        return torch.exp(p) - 2.0

    res = svenfit.least_squares(fun, [3.0, 4.0])
    assert res.status == -3 and "Interrupted" in res.message
    assert np.all(np.isfinite(res.x))
    assert res.cost < 0.5 * float(np.sum((np.exp([3.0, 4.0]) - 2.0) ** 2))


def test_fun_raising_mid_fit_keeps_the_best_point():
    calls = []

    def fun(p):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("detector database offline")
        return torch.exp(p) - 2.0

    res = svenfit.least_squares(fun, [3.0, 4.0])
    assert res.status == -5 and "detector database offline" in res.message
    assert isinstance(res.exception, RuntimeError)
    assert np.all(np.isfinite(res.x))
