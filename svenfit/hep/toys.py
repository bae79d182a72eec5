"""Seeded toy data sets for examples, tests and benchmarks (Monte Carlo templates and pseudo-data)."""

from __future__ import annotations

import numpy as np

from .histogram import BinnedData
from .terms import BinnedLikelihood, TemplateModel
from .fit import HEPFit


def template_fit(n_bins: int = 200, n_processes: int = 4, *, seed: int = 1, mc_events: int = 20000,
                 data_scale: float = 1.0) -> tuple[HEPFit, dict[str, float]]:
    """A template fit with Barlow–Beeston-lite nuisances: ``n_processes`` yields plus one nuisance per bin.

    Processes are a falling exponential and Gaussian bumps at different places over x ∈ [0, 1]; each
    template is filled from ``mc_events`` weighted Monte Carlo events (so it carries statistical
    errors), and the pseudo-data are Poisson counts of the true expectation.

    Returns
    -------
    fit : HEPFit
        Terms "data" (the binned likelihood) and "mc stat" (the nuisance constraints).
    truth : dict
        The true yields.
    """
    rng = np.random.default_rng(seed)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    samplers = [lambda k: rng.exponential(0.3, k)]
    for i in range(1, n_processes):
        centre = 0.15 + 0.7 * i / max(n_processes - 1, 1)
        samplers.append(lambda k, c=centre: rng.normal(c, 0.06, k))
    templates, variances = [], []
    for sample in samplers:
        values = sample(mc_events)
        weights = rng.uniform(0.5, 1.5, mc_events)
        templates.append(np.histogram(values, edges, weights=weights)[0])
        variances.append(np.histogram(values, edges, weights=weights ** 2)[0])
    templates, variances = np.array(templates), np.array(variances)
    truth = {f"yield_{i}": float(y) for i, y in enumerate(data_scale * np.linspace(20000, 5000, n_processes))}
    shapes = templates / templates.sum(axis=1, keepdims=True)
    expectation = np.array(list(truth.values())) @ shapes
    data = BinnedData(edges, rng.poisson(expectation).astype(float), name="pseudo-data")
    start = {name: 0.8 * value for name, value in truth.items()}
    model = TemplateModel(templates, variances, list(truth), nominal=list(start.values()))
    start.update({name: 1.0 for name in model.nuisance_names})
    limits = {name: (0.0, None) for name in truth}
    return HEPFit({"data": BinnedLikelihood(data, model), "mc stat": model.constraint()}, start, limits), truth
