"""Matplotlib figures of fits: data with curves and pulls, parameter comparisons, diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .result import FitResult  # noqa: E402


def fit_with_pulls(edges: np.ndarray, counts: np.ndarray, curves: dict[str, np.ndarray], path: str | Path, *,
                   errors: np.ndarray | None = None, xlabel: str = "x", title: str = "") -> Path:
    """Data with error bars, expected counts per bin of each fit as steps, and a pull panel.

    ``curves`` maps a label to expected counts per bin; pulls are ``(n − μ)/σ`` of the first curve.
    """
    centers = 0.5 * (edges[1:] + edges[:-1])
    errors = np.sqrt(np.maximum(counts, 1.0)) if errors is None else errors
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    top.errorbar(centers, counts, errors, fmt="ko", ms=3, label="data")
    styles = ["-", "--", ":"]
    for (label, mu), style in zip(curves.items(), styles):
        top.stairs(mu, edges, linestyle=style, linewidth=1.6, label=label)
    top.set_ylabel("events / bin")
    top.legend()
    top.set_title(title)
    first = next(iter(curves.values()))
    bottom.bar(centers, (counts - first) / errors, width=np.diff(edges), color="0.6")
    bottom.axhline(0, color="k", linewidth=0.8)
    bottom.set_ylabel("pull")
    bottom.set_xlabel(xlabel)
    return _save(fig, path)


def parameter_comparison(names: Sequence[str], values: dict[str, tuple[np.ndarray, np.ndarray]],
                         path: str | Path, *, reference: str) -> Path:
    """Each fitter's values and errors relative to ``reference``'s, in units of its errors (Δ/σ)."""
    ref_values, ref_errors = values[reference]
    shown = [i for i, e in enumerate(ref_errors) if e > 0]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(shown) + 1.5))
    offsets = np.linspace(-0.15, 0.15, len(values))
    for offset, (label, (v, e)) in zip(offsets, values.items()):
        pull = (v[shown] - ref_values[shown]) / ref_errors[shown]
        ax.errorbar(pull, np.arange(len(shown)) + offset, xerr=e[shown] / ref_errors[shown], fmt="o", capsize=3,
                    label=f"{label}: Δ/σ max {np.max(np.abs(pull)):.1e}")
    ax.set_yticks(range(len(shown)), [names[i] for i in shown])
    ax.axvline(0, color="k", linewidth=0.8)
    ax.set_xlabel(f"(value − {reference}) / σ_{reference}   (bars: each fit's σ)")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def diagnostics(result: FitResult, path: str | Path) -> Path:
    """Per-condition χ² with its degrees of freedom, and the convergence history."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    names = list(result.conditions)
    chi2 = [result.conditions[n].chi2 for n in names]
    ndof = [result.conditions[n].ndof for n in names]
    x = np.arange(len(names))
    left.bar(x - 0.2, chi2, 0.4, label="χ² (or deviance)")
    left.bar(x + 0.2, ndof, 0.4, label="ndof = rows − leverage")
    left.set_xticks(x, names, rotation=20)
    left.legend()
    left.set_title("per condition")
    history = result.history
    for name in names:
        right.semilogy(history.iteration, np.maximum(history.chi2[name], 1e-300), "o-", ms=3, label=name)
    right.set_xlabel("iteration")
    right.set_ylabel("χ² per condition")
    right.legend(fontsize=8)
    right.set_title("convergence")
    return _save(fig, path)


def correlation(result: FitResult, path: str | Path) -> Path:
    """The correlation matrix of the free parameters."""
    shown = [i for i in range(len(result.names)) if not result.fixed[i]]
    matrix = result.correlation[np.ix_(shown, shown)]
    fig, ax = plt.subplots(figsize=(1 + 0.6 * len(shown), 0.8 + 0.6 * len(shown)))
    image = ax.imshow(matrix, vmin=-1, vmax=1, cmap="RdBu_r")
    labels = [result.names[i] for i in shown]
    ax.set_xticks(range(len(shown)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(shown)), labels)
    if len(shown) <= 12:
        for i in range(len(shown)):
            for j in range(len(shown)):
                ax.text(j, i, f"{matrix[i, j]:.2f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax)
    ax.set_title("correlation")
    return _save(fig, path)


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
