"""Tests for svenfit.hep.models against scipy / mpmath references."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.integrate import quad
from scipy.interpolate import BPoly
from scipy.special import voigt_profile, wofz
from torch.func import hessian, jacfwd, jacrev, vmap

from svenfit.hep.models import (
    Argus,
    Bernstein,
    BreitWigner,
    Chebyshev,
    CrystalBall,
    DoubleCrystalBall,
    Exponential,
    ExtendedSum,
    Gaussian,
    Model,
    RelativisticBreitWigner,
    Voigt,
    faddeeva,
)

F64 = torch.float64


def tensors(values: dict[str, float]) -> dict[str, torch.Tensor]:
    return {k: torch.tensor(float(v), dtype=F64) for k, v in values.items()}


def quad_bins(density: Callable[[float], float], edges: np.ndarray, breaks: tuple[float, ...] = ()) -> np.ndarray:
    """Per-bin integrals of ``density`` by adaptive quadrature, normalised to sum 1."""
    integrals = []
    for a, b in zip(edges[:-1], edges[1:]):
        inner = [q for q in breaks if a < q < b] or None
        integrals.append(quad(density, a, b, points=inner, epsabs=0.0, epsrel=1e-13, limit=200)[0])
    integrals = np.array(integrals)
    return integrals / integrals.sum()


# -- independent numpy references for shapes without a scipy distribution ------------------


def power_tail_ref(z, alpha, n):
    """Crystal Ball tail A (B - z)^-n at z <= -alpha (scipy.stats.crystalball's formula)."""
    return (n / alpha) ** n * math.exp(-alpha**2 / 2) * (n / alpha - alpha - z) ** -n


def crystal_ball_ref(x, mu, sigma, alpha, n):
    z = (x - mu) / sigma
    return math.exp(-z * z / 2) if z > -alpha else power_tail_ref(z, alpha, n)


def double_crystal_ball_ref(x, mu, sigma, alpha_lo, n_lo, alpha_hi, n_hi):
    z = (x - mu) / sigma
    if z < -alpha_lo:
        return power_tail_ref(z, alpha_lo, n_lo)
    return power_tail_ref(-z, alpha_hi, n_hi) if z > alpha_hi else math.exp(-z * z / 2)


def relativistic_bw_ref(x, mass, width):
    return 1.0 / ((x * x - mass * mass) ** 2 + mass * mass * width * width)


def argus_ref(x, m0, c, p):
    y = x / m0
    return y * (1 - y * y) ** p * math.exp(c * (1 - y * y)) if 0 < y < 1 else 0.0


@dataclass
class Case:
    name: str
    model: Model
    values: dict[str, float]
    density: Callable[[float], float]  # reference density (any normalisation)
    edges: np.ndarray
    breaks: tuple[float, ...] = ()
    tol: float = 1e-10  # absolute tolerance on bin probabilities
    scipy_dist: object | None = field(default=None)  # frozen scipy distribution with the same shape, if any


CASES = [
    Case("gaussian", Gaussian("mu", "sigma"), dict(mu=1.0, sigma=2.0),
         lambda x: stats.norm.pdf(x, 1.0, 2.0), np.linspace(-5, 12, 30), scipy_dist=stats.norm(1.0, 2.0)),
    Case("crystal_ball", CrystalBall("mu", "sigma", "alpha", "n"), dict(mu=1.0, sigma=2.0, alpha=1.3, n=2.5),
         lambda x: stats.crystalball.pdf(x, 1.3, 2.5, 1.0, 2.0), np.linspace(-25, 8, 40), breaks=(1 - 2.6,),
         scipy_dist=stats.crystalball(1.3, 2.5, loc=1.0, scale=2.0)),
    Case("crystal_ball_n1", CrystalBall("mu", "sigma", 1.3, 1.0), dict(mu=1.0, sigma=2.0),
         lambda x: crystal_ball_ref(x, 1.0, 2.0, 1.3, 1.0), np.linspace(-25, 8, 40), breaks=(1 - 2.6,)),
    Case("double_crystal_ball", DoubleCrystalBall("mu", "sigma", "al", "nl", "ah", "nh"),
         dict(mu=0.5, sigma=1.5, al=1.1, nl=2.2, ah=1.7, nh=4.0),
         lambda x: double_crystal_ball_ref(x, 0.5, 1.5, 1.1, 2.2, 1.7, 4.0), np.linspace(-12, 14, 41),
         breaks=(0.5 - 1.65, 0.5 + 2.55)),
    Case("breit_wigner", BreitWigner("m", "g"), dict(m=91.2, g=2.5),
         lambda x: stats.cauchy.pdf(x, 91.2, 1.25), np.linspace(60, 200, 50),
         scipy_dist=stats.cauchy(91.2, 1.25)),
    Case("relativistic_bw", RelativisticBreitWigner("m", "g"), dict(m=0.775, g=0.149),
         lambda x: relativistic_bw_ref(x, 0.775, 0.149), np.linspace(0.3, 1.5, 25), tol=1e-8),
    Case("voigt", Voigt("m", "g", "s"), dict(m=91.2, g=2.5, s=1.2),
         lambda x: voigt_profile(x - 91.2, 1.2, 1.25), np.linspace(60, 120, 61), tol=1e-8),
    Case("exponential", Exponential("lam"), dict(lam=-0.7),
         lambda x: math.exp(-0.7 * x), np.linspace(0.5, 10, 20),
         scipy_dist=stats.truncexpon(b=9.5 * 0.7, loc=0.5, scale=1 / 0.7)),
    Case("bernstein", Bernstein(["c0", 0.3, "c2", "c3"]), dict(c0=1.0, c2=2.0, c3=0.5),
         lambda x: float(BPoly(np.array([[1.0], [0.3], [2.0], [0.5]]), [2.0, 7.0])(x)), np.linspace(2, 7, 13)),
    Case("chebyshev", Chebyshev(["c1", "c2", -0.05]), dict(c1=0.2, c2=-0.1),
         lambda x: 1 + np.polynomial.chebyshev.chebval(2 * (x - 2) / 5 - 1, [0, 0.2, -0.1, -0.05]),
         np.linspace(2, 7, 13)),
    Case("argus", Argus("m0", "c"), dict(m0=5.29, c=-20.0),
         lambda x: stats.argus.pdf(x, math.sqrt(40.0), scale=5.29), np.linspace(5.2, 5.3, 20), breaks=(5.29,),
         tol=1e-8, scipy_dist=stats.argus(math.sqrt(40.0), scale=5.29)),
    Case("argus_p", Argus("m0", "c", "p"), dict(m0=5.29, c=-8.0, p=1.3),
         lambda x: argus_ref(x, 5.29, -8.0, 1.3), np.linspace(4.8, 5.3, 21), breaks=(5.29,), tol=1e-8),
]
IDS = [case.name for case in CASES]


@pytest.fixture(params=CASES, ids=IDS)
def case(request) -> Case:
    return request.param


# -- accuracy -----------------------------------------------------------------------------------


def test_bin_probabilities_match_quad(case: Case) -> None:
    probabilities = case.model.bin_probabilities(torch.tensor(case.edges), tensors(case.values))
    assert probabilities.dtype == F64
    assert probabilities.shape == (len(case.edges) - 1,)
    np.testing.assert_allclose(probabilities.numpy(), quad_bins(case.density, case.edges, case.breaks),
                               rtol=0, atol=case.tol)
    assert float(probabilities.sum()) == pytest.approx(1.0, abs=1e-14)


@pytest.mark.parametrize("case", [c for c in CASES if c.scipy_dist is not None], ids=lambda c: c.name)
def test_bins_and_pdf_match_scipy(case: Case) -> None:
    edges, dist = case.edges, case.scipy_dist
    lo, hi = edges[0], edges[-1]
    upper = edges[:-1] > dist.median()  # difference survival functions above the median (no cancellation)
    reference = np.where(upper, dist.sf(edges[:-1]) - dist.sf(edges[1:]), np.diff(dist.cdf(edges)))
    total = dist.cdf(hi) - dist.cdf(lo)
    p = tensors(case.values)
    np.testing.assert_allclose(case.model.bin_probabilities(edges, p).numpy(), reference / total,
                               rtol=1e-9, atol=case.tol)
    x = np.linspace(lo, hi, 57)
    np.testing.assert_allclose(case.model.pdf(x, p, lo, hi).numpy(), dist.pdf(x) / total, rtol=1e-9, atol=1e-12)


def test_pdf_integrates_to_one(case: Case) -> None:
    lo, hi = case.edges[0], case.edges[-1]
    p = tensors(case.values)
    pdf = case.model.pdf(np.linspace(lo, hi, 4001), p, lo, hi).numpy()
    integral = quad(lambda x: float(case.model.pdf(torch.tensor([x], dtype=F64), p, lo, hi)[0]), lo, hi,
                    points=[q for q in case.breaks if lo < q < hi] or None, epsabs=0, epsrel=1e-11, limit=200)[0]
    assert integral == pytest.approx(1.0, abs=case.tol)
    assert np.all(np.isfinite(pdf))
    outside = case.model.pdf(np.array([lo - 1.0, hi + 1.0]), p, lo, hi)
    assert torch.equal(outside, torch.zeros(2, dtype=F64))


def test_pdf_shape_matches_reference(case: Case) -> None:
    lo, hi = case.edges[0], case.edges[-1]
    x = np.linspace(lo, hi, 101)[1:-1]
    reference = np.array([case.density(xi) for xi in x])
    norm = quad(case.density, lo, hi, points=[q for q in case.breaks if lo < q < hi] or None,
                epsabs=0, epsrel=1e-13, limit=200)[0]
    pdf = case.model.pdf(x, tensors(case.values), lo, hi).numpy()
    np.testing.assert_allclose(pdf, reference / norm, rtol=max(case.tol, 1e-10), atol=1e-300)


def test_cdf_is_cumulative_bin_probability(case: Case) -> None:
    p = tensors(case.values)
    edges = torch.tensor(case.edges)
    cdf = case.model.cdf(edges, p, case.edges[0], case.edges[-1])
    cumulative = torch.cat([torch.zeros(1, dtype=F64), case.model.bin_probabilities(edges, p).cumsum(0)])
    torch.testing.assert_close(cdf, cumulative, rtol=0, atol=max(case.tol, 1e-12))


# -- derivatives --------------------------------------------------------------------------------


def finite_difference_jacobian(f: Callable[[dict], torch.Tensor], values: dict[str, float]) -> torch.Tensor:
    columns = []
    for name, value in values.items():
        h = 1e-6 * max(1.0, abs(value))
        up, down = dict(values), dict(values)
        up[name], down[name] = value + h, value - h
        columns.append((f(tensors(up)) - f(tensors(down))) / (2 * h))
    return torch.stack(columns, dim=-1)


def test_gradients_match_finite_differences(case: Case) -> None:
    edges = torch.tensor(case.edges)
    names = list(case.values)

    def probabilities(vector: torch.Tensor) -> torch.Tensor:
        return case.model.bin_probabilities(edges, dict(zip(names, vector.unbind())))

    vector = torch.tensor([case.values[n] for n in names], dtype=F64)
    analytic = jacrev(probabilities)(vector)
    numeric = finite_difference_jacobian(lambda p: case.model.bin_probabilities(edges, p), case.values)
    torch.testing.assert_close(analytic, numeric, rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(jacfwd(probabilities)(vector), analytic, rtol=1e-10, atol=1e-13)


def test_torch_func_through_expected(case: Case) -> None:
    model = "events" * case.model
    edges = torch.tensor(case.edges)
    names = list(case.values) + ["events"]

    def expected(vector: torch.Tensor) -> torch.Tensor:
        return model.expected(edges, dict(zip(names, vector.unbind())))

    def nll(vector: torch.Tensor) -> torch.Tensor:  # extended binned Poisson, data = expectation at the start
        mu = expected(vector)[populated]
        return (mu - data[populated] * torch.log(mu)).sum()

    vector = torch.tensor([case.values[n] for n in names[:-1]] + [1000.0], dtype=F64)
    data = expected(vector).detach()
    populated = data > 0  # Argus bins above the endpoint are empty
    jacobian, hess = jacrev(expected)(vector), hessian(nll)(vector)
    assert jacobian.shape == (len(edges) - 1, len(names))
    assert torch.isfinite(jacobian).all() and torch.isfinite(hess).all()
    torch.testing.assert_close(hess, hess.T, rtol=1e-7, atol=1e-7)
    torch.testing.assert_close(jacobian[:, -1], expected(vector) / 1000.0)  # d mu / d yield = probabilities
    batch = vector * torch.linspace(0.99, 1.01, 3, dtype=F64)[:, None]
    torch.testing.assert_close(vmap(expected)(batch), torch.stack([expected(v) for v in batch]))


# -- numerically delicate regimes ---------------------------------------------------------------


def mp_bin_probabilities(edges: np.ndarray, antiderivative: Callable) -> np.ndarray:
    """Bin probabilities from an antiderivative evaluated by mpmath at 50 digits."""
    with mpmath.workdps(50):
        values = [antiderivative(mpmath.mpf(float(e))) for e in edges]
        return np.array([float((b - a) / (values[-1] - values[0])) for a, b in zip(values[:-1], values[1:])])


def gauss_antiderivative(t):
    """Standard normal CDF, written so that neither tail cancels."""
    return -mpmath.erfc(t / mpmath.sqrt(2)) / 2 if t > 0 else mpmath.erfc(-t / mpmath.sqrt(2)) / 2


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_gaussian_far_tail_is_finite_and_exact(sign: float) -> None:
    edges = sign * np.linspace(40.0, 45.0, 11)[:: int(sign)]
    values = dict(mu=0.0, sigma=1.0)
    model = Gaussian("mu", "sigma")
    probabilities = model.bin_probabilities(edges, tensors(values))
    np.testing.assert_allclose(probabilities.numpy(), mp_bin_probabilities(edges, gauss_antiderivative),
                               rtol=1e-10)
    pdf = model.pdf(edges, tensors(values), edges[0], edges[-1])
    assert torch.isfinite(pdf).all() and pdf.max() > 0
    gradient = finite_difference_jacobian(lambda p: model.bin_probabilities(edges, p), values)
    analytic = jacrev(lambda m, s: model.bin_probabilities(edges, {"mu": m, "sigma": s}), argnums=(0, 1))(
        *tensors(values).values())
    torch.testing.assert_close(torch.stack(analytic, -1), gradient, rtol=1e-5, atol=1e-9)


def test_crystal_ball_range_far_in_either_tail() -> None:
    model = CrystalBall("mu", "sigma", "alpha", "n")
    values = dict(mu=0.0, sigma=1.0, alpha=1.5, n=3.0)
    for edges, antiderivative in [
        (np.linspace(-400.0, -100.0, 7), lambda t: (2 - 1.5 - t) ** -2 / 2),  # (B - t)^(1-n) / (n-1)
        (np.linspace(38.0, 41.0, 7), gauss_antiderivative),
    ]:
        probabilities = model.bin_probabilities(edges, tensors(values))
        np.testing.assert_allclose(probabilities.numpy(), mp_bin_probabilities(edges, antiderivative), rtol=1e-10)
        jacobian = jacrev(lambda v: model.bin_probabilities(edges, dict(zip(values, v.unbind()))))(
            torch.tensor(list(values.values()), dtype=F64))
        assert torch.isfinite(jacobian).all()


def test_crystal_ball_continuous_through_n_equal_one() -> None:
    edges = np.linspace(-30, 5, 36)
    at_one = CrystalBall(0.0, 1.0, 1.0, 1.0).bin_probabilities(edges, {})
    for n in (1 - 1e-9, 1 + 1e-9):
        torch.testing.assert_close(CrystalBall(0.0, 1.0, 1.0, n).bin_probabilities(edges, {}), at_one,
                                   rtol=1e-7, atol=1e-12)
    gradient = jacrev(lambda n: CrystalBall(0.0, 1.0, 1.0, "n").bin_probabilities(edges, {"n": n}))(
        torch.tensor(1.0, dtype=F64))
    numeric = finite_difference_jacobian(lambda p: CrystalBall(0.0, 1.0, 1.0, "n").bin_probabilities(edges, p),
                                         {"n": 1.0})[:, 0]
    torch.testing.assert_close(gradient, numeric, rtol=1e-5, atol=1e-9)


def test_exponential_slope_zero_is_uniform_with_exact_derivatives() -> None:
    edges = torch.tensor([1.0, 1.5, 3.0, 4.0, 7.0], dtype=F64)
    model = Exponential("lam")
    widths, centres = torch.diff(edges), 0.5 * (edges[1:] + edges[:-1])
    zero = torch.tensor(0.0, dtype=F64)
    probabilities = model.bin_probabilities(edges, {"lam": zero})
    torch.testing.assert_close(probabilities, widths / 6.0, rtol=1e-15, atol=0)
    gradient = jacrev(lambda s: model.bin_probabilities(edges, {"lam": s}))(zero)
    torch.testing.assert_close(gradient, widths / 6.0 * (centres - 4.0), rtol=1e-12, atol=1e-15)
    second = hessian(lambda s: model.bin_probabilities(edges, {"lam": s}))(zero)
    numeric = (jacrev(lambda s: model.bin_probabilities(edges, {"lam": s}))(torch.tensor(1e-5, dtype=F64))
               - jacrev(lambda s: model.bin_probabilities(edges, {"lam": s}))(torch.tensor(-1e-5, dtype=F64))) / 2e-5
    torch.testing.assert_close(second, numeric, rtol=1e-6, atol=1e-10)
    for tiny in (1e-12, -1e-12):
        torch.testing.assert_close(model.bin_probabilities(edges, {"lam": tiny}), probabilities, rtol=1e-10, atol=0)


@pytest.mark.parametrize("slope, lo, hi", [(700.0, 0.0, 1.0), (-700.0, 0.0, 1.0), (0.7, 1000.0, 1001.0),
                                           (-0.7, 1000.0, 1001.0), (2000.0, -1.0, 1.0), (-3e4, 5.0, 6.0)])
def test_exponential_extreme_slope_times_x(slope: float, lo: float, hi: float) -> None:
    edges = np.linspace(lo, hi, 21)
    model = Exponential("lam")
    probabilities = model.bin_probabilities(edges, {"lam": slope})
    reference = mp_bin_probabilities(edges, lambda t: mpmath.exp(slope * t))
    np.testing.assert_allclose(probabilities.numpy(), reference, rtol=1e-10, atol=1e-300)
    gradient = jacrev(lambda s: model.bin_probabilities(edges, {"lam": s}))(torch.tensor(slope, dtype=F64))
    pdf = model.pdf(edges, {"lam": slope}, lo, hi)
    assert torch.isfinite(gradient).all() and torch.isfinite(pdf).all()


# -- Voigt / Faddeeva ---------------------------------------------------------------------------


def test_faddeeva_matches_scipy_wofz() -> None:
    grid = np.linspace(-30, 30, 241)[:, None] + 1j * np.geomspace(1e-8, 30, 40)[None, :]
    ours = faddeeva(torch.tensor(grid, dtype=torch.complex128)).numpy()
    reference = wofz(grid)
    assert np.max(np.abs(ours - reference) / np.abs(reference)) < 1e-10


@pytest.mark.parametrize("sigma, width", [(1.2, 2.5), (2.0, 0.01), (0.05, 2.5), (1.0, 1e-4), (3.0, 3.0)])
def test_voigt_density_matches_voigt_profile(sigma: float, width: float) -> None:
    mass, half_range = 91.2, 10 * (sigma + width)
    lo, hi = mass - half_range, mass + half_range
    x = np.linspace(lo, hi, 2001)
    reference = voigt_profile(x - mass, sigma, width / 2)
    norm = quad(lambda t: voigt_profile(t - mass, sigma, width / 2), lo, hi, points=[mass],
                epsabs=0, epsrel=1e-13, limit=400)[0]
    pdf = Voigt("m", "g", "s").pdf(x, tensors(dict(m=mass, g=width, s=sigma)), lo, hi).numpy()
    assert np.max(np.abs(pdf * norm / reference - 1)) < 1e-6


def test_voigt_pdf_gradients_through_complex_arithmetic() -> None:
    model = Voigt("m", "g", "s")
    values = dict(m=91.2, g=2.5, s=1.1)
    x = torch.linspace(80, 100, 41, dtype=F64)

    def pdf(vector: torch.Tensor) -> torch.Tensor:
        return model.pdf(x, dict(zip(values, vector.unbind())), 70.0, 110.0)

    vector = torch.tensor(list(values.values()), dtype=F64)
    numeric = finite_difference_jacobian(lambda p: model.pdf(x, p, 70.0, 110.0), values)
    torch.testing.assert_close(jacrev(pdf)(vector), numeric, rtol=1e-5, atol=1e-9)
    torch.testing.assert_close(jacfwd(pdf)(vector), numeric, rtol=1e-5, atol=1e-9)
    assert torch.isfinite(hessian(lambda v: pdf(v).sum())(vector)).all()


def test_quadrature_order_is_configurable() -> None:
    edges = np.linspace(60.0, 120.0, 7)  # 10 GeV bins around a 2.5 GeV wide peak
    p = tensors(dict(m=91.2, g=2.5, s=1.2))
    reference = quad_bins(lambda x: voigt_profile(x - 91.2, 1.2, 1.25), edges, (91.2,))
    errors = {order: np.max(np.abs(Voigt("m", "g", "s", order=order).bin_probabilities(edges, p).numpy() - reference))
              for order in (4, 16, 48)}
    assert errors[48] < 1e-12 < errors[4] and errors[16] < 1e-9


# -- robustness of gradients (no NaN from torch.where branches) ----------------------------------


@pytest.mark.parametrize("model, values, edges", [
    (CrystalBall("mu", "s", "a", "n"), dict(mu=0.0, s=1.0, a=1.0, n=2.0), np.linspace(0.0, 3.0, 7)),  # core only
    (CrystalBall("mu", "s", "a", "n"), dict(mu=0.0, s=1.0, a=1.0, n=2.0), np.linspace(-9.0, -2.0, 7)),  # tail only
    (DoubleCrystalBall("mu", "s", "a", "n", "a", "n"), dict(mu=0.0, s=1.0, a=1.0, n=2.0), np.linspace(-1, 1, 3)),
    (Argus("m0", "c", "p"), dict(m0=5.0, c=-5.0, p=0.7), np.linspace(4.0, 6.0, 9)),  # bins beyond the endpoint
    (Exponential("lam"), dict(lam=0.0), np.linspace(0.0, 1.0, 3)),
    (Gaussian("mu", "s"), dict(mu=-100.0, s=1.0), np.linspace(0.0, 1.0, 5)),
])
def test_derivatives_finite_in_every_branch(model: Model, values: dict, edges: np.ndarray) -> None:
    def probabilities(vector: torch.Tensor) -> torch.Tensor:
        return model.bin_probabilities(edges, dict(zip(values, vector.unbind())))

    vector = torch.tensor(list(values.values()), dtype=F64)
    assert torch.isfinite(probabilities(vector)).all()
    assert torch.isfinite(jacrev(probabilities)(vector)).all()
    assert torch.isfinite(hessian(lambda v: probabilities(v).sum())(vector)).all()


@settings(max_examples=40, deadline=None)
@given(mu=st.floats(-5, 5), sigma=st.floats(0.05, 5), alpha=st.floats(0.2, 4), n=st.floats(0.5, 20))
def test_crystal_ball_probabilities_are_valid(mu: float, sigma: float, alpha: float, n: float) -> None:
    values = dict(mu=mu, sigma=sigma, alpha=alpha, n=n)
    edges = np.linspace(-6.0, 4.0, 21)
    model = CrystalBall("mu", "sigma", "alpha", "n")

    def probabilities(vector: torch.Tensor) -> torch.Tensor:
        return model.bin_probabilities(edges, dict(zip(values, vector.unbind())))

    vector = torch.tensor(list(values.values()), dtype=F64)
    result = probabilities(vector)
    assert torch.all(result >= 0) and float(result.sum()) == pytest.approx(1.0, abs=1e-13)
    assert torch.isfinite(jacrev(probabilities)(vector)).all()


# -- ExtendedSum algebra ------------------------------------------------------------------------


def test_extended_sum_algebra_and_parameters() -> None:
    sig = Voigt(mass="mz", width="gz", sigma="res")
    bkg = Exponential(slope="lam")
    model = "ns" * sig + "nb" * bkg
    assert isinstance(model, ExtendedSum)
    assert model.parameters == ("ns", "mz", "gz", "res", "nb", "lam")
    assert sig.parameters == ("mz", "gz", "res") and bkg.parameters == ("lam",)
    assert (sig * "ns").terms == ("ns" * sig).terms == (("ns", sig),)
    assert (2.0 * bkg).terms == ((2.0, bkg),) and (bkg * 3).parameters == ("lam",)
    third = Gaussian("mz", 1.0)
    flat = model + 5.0 * third
    assert [m for _, m in flat.terms] == [sig, bkg, third]
    assert flat.parameters == ("ns", "mz", "gz", "res", "nb", "lam")
    assert DoubleCrystalBall("m", "s", "a", "n", "a", "n").parameters == ("m", "s", "a", "n")
    assert "Voigt(mass='mz'" in repr(model)


def test_extended_sum_expected_and_density() -> None:
    sig, bkg = Gaussian("mu", "sigma"), Exponential("lam")
    model = "ns" * sig + 50.0 * bkg
    p = tensors(dict(ns=1000.0, mu=91.0, sigma=2.0, lam=-0.02))
    edges = torch.linspace(70, 110, 41, dtype=F64)
    expected = model.expected(edges, p)
    torch.testing.assert_close(expected, 1000.0 * sig.bin_probabilities(edges, p)
                               + 50.0 * bkg.bin_probabilities(edges, p))
    assert float(expected.sum()) == pytest.approx(1050.0, rel=1e-14)
    x = torch.linspace(70, 110, 9, dtype=F64)
    torch.testing.assert_close(model.density(x, p, 70.0, 110.0),
                               1000.0 * sig.pdf(x, p, 70.0, 110.0) + 50.0 * bkg.pdf(x, p, 70.0, 110.0))
    torch.testing.assert_close(model.yields(p), torch.tensor([1000.0, 50.0], dtype=F64))


def test_inputs_are_converted_to_float64() -> None:
    model = "n" * Gaussian("mu", 1.0)
    p = {"n": 10.0, "mu": torch.tensor(0.5, dtype=torch.float32)}
    expected = model.expected(torch.linspace(-3, 3, 7), p)  # float32 edges
    assert expected.dtype == F64
    assert Gaussian(0.0, 1.0).pdf([0.0, 1.0], {}, -1, 1).dtype == F64


# -- errors -------------------------------------------------------------------------------------


def test_missing_parameter_names_it_and_what_was_given() -> None:
    model = "ns" * Voigt("mz", "gz", "res")
    with pytest.raises(KeyError, match=r"'res'.*Voigt.*given: \['gz', 'mz', 'ns'\]"):
        model.expected([80.0, 90.0, 100.0], {"ns": 1.0, "mz": 91.0, "gz": 2.5})
    with pytest.raises(KeyError, match=r"'ns'.*yield"):
        model.expected([80.0, 90.0, 100.0], {"mz": 91.0, "gz": 2.5, "res": 1.0})


@pytest.mark.parametrize("edges, message", [
    ([1.0], "at least 2 bin edges"),
    ([], "at least 2 bin edges"),
    ([0.0, 1.0, 1.0, 2.0], r"strictly increasing; not at indices \[1\]"),
    ([0.0, 2.0, 1.0], r"strictly increasing; not at indices \[1\]"),
    ([[0.0, 1.0]], "1-D"),
    ([0.0, float("nan")], "finite"),
])
def test_bad_edges(edges: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Gaussian(0.0, 1.0).bin_probabilities(edges, {})
    with pytest.raises(ValueError, match=message):
        (1.0 * Gaussian(0.0, 1.0)).expected(edges, {})


def test_bad_ranges_and_values() -> None:
    with pytest.raises(ValueError, match="lo < hi"):
        Gaussian(0.0, 1.0).pdf([0.0], {}, 1.0, 1.0)
    with pytest.raises(ValueError, match="lo < hi"):
        Gaussian(0.0, 1.0).cdf([0.0], {}, 2.0, float("inf"))
    with pytest.raises(ValueError, match="0-d"):
        Gaussian("mu", 1.0).pdf([0.0], {"mu": torch.zeros(2)}, -1.0, 1.0)
    with pytest.raises(TypeError, match="0-d tensor or a number"):
        Gaussian("mu", 1.0).pdf([0.0], {"mu": "zero"}, -1.0, 1.0)


def test_bad_specifications() -> None:
    for bad, error in [(None, TypeError), (True, TypeError), ([1.0], TypeError), ("", ValueError),
                       (float("inf"), ValueError)]:
        with pytest.raises(error, match="Gaussian.sigma"):
            Gaussian("mu", bad)
    with pytest.raises(ValueError, match="at least one coefficient"):
        Bernstein([])
    with pytest.raises(TypeError, match="sequence"):
        Chebyshev("c1")
    with pytest.raises(ValueError, match="order must be a positive integer"):
        Voigt("m", "g", "s", order=0)
    with pytest.raises(ValueError, match="panels must be a positive integer"):
        Argus(5.0, -1.0, panels=2.5)


def test_bad_algebra() -> None:
    sig, bkg = Gaussian("mu", 1.0), Exponential("lam")
    with pytest.raises(TypeError, match="without a yield"):
        sig + bkg
    with pytest.raises(TypeError, match="yield-scaled"):
        "n" * sig + bkg
    with pytest.raises(TypeError, match="parameter name"):
        sig * bkg
    with pytest.raises(TypeError, match="parameter name"):
        None * sig
    with pytest.raises(TypeError, match="Model instances"):
        ExtendedSum([("n", "not a model")])
