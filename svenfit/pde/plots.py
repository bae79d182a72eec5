"""Figures of PINN fits: solution, pointwise error, per-condition loss history."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..plot import _save  # noqa: E402
from ..result import FitResult  # noqa: E402
from .problems import PINNProblem  # noqa: E402


def solution_and_error(problem: PINNProblem, path: str | Path) -> Path:
    """The fitted solution, the reference, and the pointwise error on the evaluation grid (2-D domains)."""
    grid = problem.grid.numpy().reshape(*problem.grid_shape, -1)
    first, second = grid[..., 0], grid[..., 1]
    prediction = problem.prediction().numpy().reshape(problem.grid_shape)
    reference = problem.reference.numpy().reshape(problem.grid_shape)
    names = problem.box.names
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, values, title in ((axes[0], prediction, "network"), (axes[1], reference, "reference")):
        image = ax.pcolormesh(first, second, values, shading="auto", cmap="viridis")
        fig.colorbar(image, ax=ax)
        ax.set_title(title)
    error = np.abs(prediction - reference)
    image = axes[2].pcolormesh(first, second, np.log10(np.maximum(error, 1e-300)), shading="auto", cmap="magma")
    fig.colorbar(image, ax=axes[2], label="log10 |error|")
    axes[2].set_title(f"pointwise error (relative L2 {problem.error():.2e})")
    for ax in axes:
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
    fig.suptitle(problem.name)
    return _save(fig, path)


def loss_history(result: FitResult, path: str | Path) -> Path:
    """χ² of each condition against wall time, log scale."""
    fig, ax = plt.subplots(figsize=(7, 4.5))
    history = result.history
    for name, values in history.chi2.items():
        ax.semilogy(history.time, np.maximum(values, 1e-300), label=name)
    ax.set_xlabel("wall time [s]")
    ax.set_ylabel("Σ r² per condition")
    ax.legend()
    ax.set_title(f"{result.nit} iterations, {result.nfev} residual evaluations")
    return _save(fig, path)
