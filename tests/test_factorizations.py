"""The Sven step against numpy's minimum-norm least squares; factorisations against each other."""

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import svenfit
from svenfit.engine.factor import factorize


def _random_rank(seed, m, n, rank):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((m, rank)) @ rng.standard_normal((rank, n))
    return A, rng.standard_normal(m)


def _conditioned(seed, m, n, rank, cond):
    """A random m × n matrix of the given rank whose kept singular values span ``cond``."""
    rng = np.random.default_rng(seed)
    U = np.linalg.qr(rng.standard_normal((m, rank)))[0]
    V = np.linalg.qr(rng.standard_normal((n, rank)))[0]
    return U @ np.diag(np.logspace(0, -np.log10(cond), rank)) @ V.T, rng.standard_normal(m)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**31), m=st.integers(1, 30), n=st.integers(1, 30), data=st.data())
def test_undamped_step_is_numpy_minimum_norm_lstsq(seed, m, n, data):
    # Two SVD-based solvers agree to about eps · cond² · |x|, so the kept spectrum spans at most 1e2.
    rank = data.draw(st.integers(0, min(m, n)))
    cond = data.draw(st.floats(1.0, 1e2))
    A, r = _conditioned(seed, m, n, rank, cond) if rank else (np.zeros((m, n)), np.ones(m))
    spectrum = factorize(torch.as_tensor(A), method="dense")
    step = spectrum.step(spectrum.project(torch.as_tensor(r)), damping=0.0).numpy()
    expected = np.linalg.lstsq(A, -r, rcond=None)[0]
    assert spectrum.rank == np.linalg.matrix_rank(A)
    np.testing.assert_allclose(step, expected, rtol=0, atol=1e-12 * max(1.0, np.abs(expected).max()))


def test_fit_of_a_rank_deficient_linear_system_is_the_minimum_norm_solution():
    A, b = _random_rank(11, 25, 8, 5)
    A_t, b_t = torch.as_tensor(A), torch.as_tensor(b)
    result = svenfit.least_squares(lambda x: A_t @ x - b_t, np.zeros(8), damping=0.0)
    expected = np.linalg.lstsq(A, b, rcond=None)[0]
    np.testing.assert_allclose(result.x, expected, rtol=0, atol=1e-12 * np.abs(expected).max())
    assert result.rank == 5
    assert len(result.unconstrained) == 3


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), m=st.integers(2, 60), n=st.integers(2, 60), data=st.data())
def test_dense_gram_and_randomized_give_the_same_step(seed, m, n, data):
    # The Gram matrix squares the condition number (its step error grows like eps · cond²), so the
    # comparison is at a moderate cond (1e2); at 1e3 a drawn case reached 1.3e-9.
    rank = data.draw(st.integers(1, min(m, n)))
    A, r = _conditioned(seed, m, n, rank, cond=1e2)
    J, r = torch.as_tensor(A), torch.as_tensor(r)
    steps = {}
    for method in ("dense", "gram", "randomized"):
        spectrum = factorize(J, method=method, k=rank, rtol=1e-6)
        assert spectrum.rank == rank, method
        for damping in (0.0, 0.3):
            steps[method, damping] = spectrum.step(spectrum.project(r), damping).numpy()
    for damping in (0.0, 0.3):
        reference = steps["dense", damping]
        scale = max(1.0, np.abs(reference).max())
        for method in ("gram", "randomized"):
            np.testing.assert_allclose(steps[method, damping], reference, rtol=0, atol=1e-9 * scale)


def test_truncation_by_k_keeps_the_largest_directions():
    A, r = _random_rank(5, 40, 20, 20)
    spectrum = factorize(torch.as_tensor(A), method="dense", k=7)
    full = np.linalg.svd(A, compute_uv=False)
    assert spectrum.rank == 7
    np.testing.assert_allclose(spectrum.s.numpy(), full[:7], rtol=1e-12)


def test_rtol_drops_small_singular_values():
    A = np.diag([1.0, 1e-3, 1e-9])
    spectrum = factorize(torch.as_tensor(A), method="dense", rtol=1e-6)
    assert spectrum.rank == 2


def test_predicted_reduction_matches_the_linear_model():
    A, r = _random_rank(9, 15, 6, 6)
    J, r = torch.as_tensor(A), torch.as_tensor(r)
    spectrum = factorize(J, method="dense")
    b = spectrum.project(r)
    for damping in (0.0, 0.1, 10.0):
        step = spectrum.step(b, damping, lr=0.7)
        model = 0.5 * float(r @ r) - 0.5 * float((r + J @ step) @ (r + J @ step))
        assert abs(spectrum.predicted_reduction(b, damping, lr=0.7) - model) < 1e-12 * float(r @ r)


def test_every_factorization_fits_the_same_minimum():
    rng = np.random.default_rng(4)
    t = torch.linspace(0, 3, 300, dtype=torch.float64)
    y = torch.as_tensor(2.0 * np.exp(-1.1 * t.numpy()) + 0.01 * rng.standard_normal(300))

    def fun(p):
        return p[0] * torch.exp(-p[1] * t) + p[2] * t - y

    costs = [svenfit.least_squares(fun, [1.0, 1.0, 0.0], factorization=method, k=3).cost
             for method in ("dense", "gram", "randomized")]
    np.testing.assert_allclose(costs, costs[0], rtol=1e-12)
