"""``svenfit bench hep``: Sven against Minuit on the Z peak and on a large template fit."""

from __future__ import annotations

import numpy as np

from ..hep.fit import Comparison
from ..hep.histogram import BinnedData
from ..hep.io import zmumu_masses
from ..hep.peak import Z_WIDTH, peak_fit
from ..hep.toys import template_fit
from .markdown import machine, table, write_section


def _row(name: str, parameters: int, c: Comparison) -> list[str]:
    free = ~c.fixed
    return [name, str(parameters), f"{c.sven_fval:.8f}", f"{c.minuit_fval:.8f}",
            f"{abs(c.sven_fval - c.minuit_fval):.1e}", f"{np.max(np.abs(c.pulls[free])):.1e}",
            f"{np.max(np.abs(c.error_ratios[free] - 1)):.1e}", f"{c.sven_calls} / {c.minuit_calls}",
            f"{c.sven_time:.2f} / {c.minuit_time:.2f}", f"{c.minuit_time / c.sven_time:.1f}×",
            "yes" if c.agrees(sigma=0.05, errors=0.02, fval=1e-4 / max(1.0, abs(c.minuit_fval))) else "no"]


def run(write: bool = True) -> str:
    """Run both comparisons and return (and write) the Markdown section."""
    data = BinnedData.from_values(zmumu_masses(), bins=60, range=(60.0, 120.0))
    zpeak = peak_fit(data, "voigt+exponential", fixed={"width": Z_WIDTH})
    zpeak.compare()  # warm torch.func and iminuit up outside the timed runs
    rows = [_row("Z peak, Voigt + exponential (60 bins)", len(zpeak.names), zpeak.compare())]
    templates, _ = template_fit(n_bins=200, n_processes=4)
    rows.append(_row("templates: 4 processes × 200 bins, Barlow–Beeston-lite", len(templates.names),
                     templates.compare()))
    header = ["fit", "parameters", "Sven fval", "Minuit fval", "Δ fval", "max Δ/σ", "max σ ratio − 1",
              "calls Sven / Minuit", "seconds Sven / Minuit", "speed-up", "agree"]
    body = "\n".join([
        "## HEP: Sven against Minuit",
        "",
        f"Machine: {machine()}. Each fit runs MIGRAD + HESSE (tolerance 1e-4) in iminuit and Sven + its "
        "exact-Hessian errors (`hesse()`), from the same start, on the same extended binned likelihood. "
        "Times are wall clock of one run each, errors included; Δ columns are absolute values; calls count Sven's residual and Jacobian "
        "evaluations and Minuit's function calls. \"agree\": every parameter within 0.05 σ, every error "
        "within 2 %, fval within 1e-4.",
        "",
        table(header, rows),
    ])
    if write:
        write_section("hep", body)
    return body
