"""Peak-over-background fits from a list of values: model choice, start values, and the full report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .. import plot
from .fit import Comparison, HEPFit
from .histogram import BinnedData
from .models import Bernstein, BreitWigner, Chebyshev, CrystalBall, Exponential, Gaussian, Voigt
from .terms import BinnedLikelihood

Z_WIDTH = 2.4952  # GeV, PDG
SIGNALS = ("gaussian", "voigt", "breitwigner", "crystalball")
BACKGROUNDS = ("exponential", "bernstein<N>", "chebyshev<N>", "none")


def _signal(kind: str, centre: float, spread: float) -> tuple[object, dict, dict]:
    """Signal model, start values and limits for a peak near ``centre`` of RMS ``spread``."""
    lo, hi = centre - 3 * spread, centre + 3 * spread
    if kind == "gaussian":
        return Gaussian(mu="mean", sigma="sigma"), {"mean": centre, "sigma": spread}, {"mean": (lo, hi), "sigma": (1e-3 * spread, 10 * spread)}
    if kind == "voigt":
        return (Voigt(mass="mass", width="width", sigma="sigma"), {"mass": centre, "width": spread, "sigma": spread},
                {"mass": (lo, hi), "width": (1e-3 * spread, 10 * spread), "sigma": (1e-3 * spread, 10 * spread)})
    if kind == "breitwigner":
        return BreitWigner(mass="mass", width="width"), {"mass": centre, "width": spread}, {"mass": (lo, hi), "width": (1e-3 * spread, 10 * spread)}
    if kind == "crystalball":
        return (CrystalBall(mu="mean", sigma="sigma", alpha="alpha", n="n_tail"),
                {"mean": centre, "sigma": spread, "alpha": 1.5, "n_tail": 3.0},
                {"mean": (lo, hi), "sigma": (1e-3 * spread, 10 * spread), "alpha": (0.1, 10.0), "n_tail": (1.01, 100.0)})
    raise ValueError(f"unknown signal model {kind!r}; choose from {SIGNALS}")


def _background(kind: str) -> tuple[object | None, dict, dict]:
    if kind == "none":
        return None, {}, {}
    if kind == "exponential":
        return Exponential(slope="slope"), {"slope": 0.0}, {}
    for family, cls in (("bernstein", Bernstein), ("chebyshev", Chebyshev)):
        if kind.startswith(family) and kind[len(family):].isdigit():
            degree = int(kind[len(family):])
            first = 0 if cls is Bernstein else 1
            names = [f"c{i}" for i in range(first, degree + 1)]
            start = {n: 1.0 if cls is Bernstein else 0.0 for n in names}
            limits = {n: (0.0, None) for n in names} if cls is Bernstein else {}
            if cls is Bernstein:  # the overall scale sits in the yield
                limits[names[0]] = (1.0, 1.0)
            return cls(coefficients=names), start, limits
    raise ValueError(f"unknown background model {kind!r}; choose from {BACKGROUNDS}")


def peak_fit(data: BinnedData, model: str = "voigt+exponential", fixed: dict[str, float] | None = None) -> HEPFit:
    """An extended binned likelihood fit of ``signal+background`` (e.g. "voigt+exponential") to ``data``."""
    signal_kind, _, background_kind = model.partition("+")
    background_kind = background_kind or "none"
    centers, counts = data.centers, data.counts
    centre = float(centers[np.argmax(counts)])
    spread = float(np.sqrt(np.average((centers - centre) ** 2, weights=counts)) / 3.0)
    signal, start, limits = _signal(signal_kind, centre, spread)
    background, b_start, b_limits = _background(background_kind)
    total = float(counts.sum())
    expression = "n_signal" * signal
    start.update(b_start, n_signal=0.9 * total if background else total)
    limits.update(b_limits, n_signal=(0.0, None))
    if background is not None:
        expression = expression + "n_background" * background
        start["n_background"] = 0.1 * total
        limits["n_background"] = (0.0, None)
    fixed = dict(fixed or {})
    for name, value in fixed.items():
        start[name] = value
    held = [n for n, (lo, hi) in limits.items() if lo == hi] + list(fixed)
    for name in held:
        limits.pop(name, None)
    return HEPFit({"histogram": BinnedLikelihood(data, expression)}, start, limits, fixed=held)


def report(fit: HEPFit, comparison: Comparison, out: Path, *, xlabel: str) -> dict[str, Path]:
    """Write the comparison plots and a JSON report into ``out``; return the files written."""
    out.mkdir(parents=True, exist_ok=True)
    sven, minuit = comparison.sven_result, comparison.minuit
    term: BinnedLikelihood = next(iter(fit.terms.values()))
    data = term.data
    as_params = lambda values: {n: torch.tensor(float(v), dtype=torch.float64) for n, v in zip(fit.names, values)}  # noqa: E731
    with torch.no_grad():
        curves = {"Sven": term.expected(as_params(sven.x)).numpy(),
                  "Minuit": term.expected(as_params([minuit.values[n] for n in fit.names])).numpy()}
    files = {
        "fit": plot.fit_with_pulls(data.edges, data.counts, curves, out / "fit.png", xlabel=xlabel,
                                   title="extended binned likelihood: Sven and Minuit"),
        "parameters": plot.parameter_comparison(fit.names, {
            "Sven": (comparison.sven_values, comparison.sven_errors),
            "Minuit": (comparison.minuit_values, comparison.minuit_errors)}, out / "parameters.png", reference="Minuit"),
        "diagnostics": plot.diagnostics(sven, out / "diagnostics.png"),
        "correlation": plot.correlation(sven, out / "correlation.png"),
    }
    sven.save(out / "sven_result.json")
    report_path = out / "report.json"
    report_path.write_text(json.dumps({"comparison": comparison.to_dict(), "sven_result": "sven_result.json",
                                       "plots": {k: v.name for k, v in files.items()}}, indent=1))
    files.update(result=out / "sven_result.json", report=report_path)
    return files
