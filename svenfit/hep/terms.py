"""Terms of a HEP fit: each gives svenfit residuals and the matching iminuit cost.

A term reads parameters by name from a mapping, so terms over different histograms can share
parameters (a simultaneous fit) and constraints can tie into any of them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from iminuit import cost as minuit_cost

from .conditions import chi2_residuals, gaussian_constraint, poisson_deviance
from .histogram import BinnedData

Params = Mapping[str, torch.Tensor]


class Term(ABC):
    """One condition of a HEP fit."""

    @property
    @abstractmethod
    def parameters(self) -> tuple[str, ...]:
        """Names of the parameters the term depends on."""

    @abstractmethod
    def residuals(self, p: Params) -> torch.Tensor:
        """The term's residual rows at parameters ``p`` (their squares sum to its χ² / deviance)."""

    @abstractmethod
    def minuit_cost(self) -> Any:
        """The equivalent iminuit cost function (same value as ``Σ residuals²``)."""


def _numpy_model(model: Any, names: Sequence[str], edges: np.ndarray) -> Any:
    """``f(xe, *par)`` returning the model's expected counts per bin as numpy (for iminuit)."""
    edges_t = torch.tensor(edges, dtype=torch.float64)

    def expected(*par: float) -> np.ndarray:
        p = {name: torch.tensor(float(v), dtype=torch.float64) for name, v in zip(names, par)}
        with torch.no_grad():
            return model.expected(edges_t, p).numpy()

    return expected


class BinnedLikelihood(Term):
    """Extended binned Poisson likelihood of a histogram given a model with yields.

    Parameters
    ----------
    data : BinnedData
        The histogram (weighted ones use the scaled-Poisson approximation).
    model
        An object with ``parameters`` and ``expected(edges, p)`` (an
        :class:`~svenfit.hep.models.ExtendedSum` or a :class:`TemplateModel`).
    """

    def __init__(self, data: BinnedData, model: Any):
        self.data, self.model = data, model
        self._edges = torch.tensor(data.edges, dtype=torch.float64)
        self._counts = torch.tensor(data.counts, dtype=torch.float64)
        self._variances = None if data.variances is None else torch.tensor(data.variances, dtype=torch.float64)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(self.model.parameters)

    def expected(self, p: Params) -> torch.Tensor:
        return self.model.expected(self._edges, p)

    def residuals(self, p: Params) -> torch.Tensor:
        return poisson_deviance(self._counts, self.expected(p), self._variances)

    def minuit_cost(self) -> Any:
        expected = _numpy_model(self.model, self.parameters, self.data.edges)
        scaled_cdf = lambda xe, *par: np.concatenate([[0.0], np.cumsum(expected(*par))])  # noqa: E731
        n = self.data.counts if self.data.variances is None else np.stack([self.data.counts, self.data.variances], -1)
        return minuit_cost.ExtendedBinnedNLL(n, self.data.edges, scaled_cdf, name=list(self.parameters))


class BinnedChi2(Term):
    """Binned least squares ``Σ ((μᵢ − nᵢ)/σᵢ)²`` with σ from the variances (or √n); empty bins skipped."""

    def __init__(self, data: BinnedData, model: Any):
        self.data, self.model = data, model
        errors = np.sqrt(data.effective_variances)
        self._use = errors > 0
        self._edges = torch.tensor(data.edges, dtype=torch.float64)
        self._counts = torch.as_tensor(data.counts[self._use], dtype=torch.float64)
        self._errors = torch.as_tensor(errors[self._use], dtype=torch.float64)

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(self.model.parameters)

    def residuals(self, p: Params) -> torch.Tensor:
        mu = self.model.expected(self._edges, p)[torch.as_tensor(self._use)]
        return chi2_residuals(self._counts, mu, self._errors)

    def minuit_cost(self) -> Any:
        expected = _numpy_model(self.model, self.parameters, self.data.edges)
        used = np.flatnonzero(self._use)
        model = lambda index, *par: expected(*par)[index.astype(int)]  # noqa: E731
        return minuit_cost.LeastSquares(used.astype(float), self._counts.numpy(), self._errors.numpy(), model,
                                        name=list(self.parameters))


class Constraint(Term):
    """A Gaussian constraint on named parameters: independent (``sigmas``) or correlated (``covariance``)."""

    def __init__(self, names: Sequence[str], means: Sequence[float], sigmas: Sequence[float] | None = None,
                 covariance: np.ndarray | None = None):
        if (sigmas is None) == (covariance is None):
            raise ValueError("give exactly one of sigmas or covariance")
        self.names = tuple(names)
        self.means = np.asarray(means, dtype=float)
        self.sigmas = None if sigmas is None else np.asarray(sigmas, dtype=float)
        self.covariance = None if covariance is None else np.asarray(covariance, dtype=float)
        size = len(self.names)
        if self.means.shape != (size,) or (self.sigmas is not None and self.sigmas.shape != (size,)) or \
                (self.covariance is not None and self.covariance.shape != (size, size)):
            raise ValueError(f"constraint on {size} parameters needs {size} means and matching sigmas/covariance")
        if self.sigmas is not None and not np.all(self.sigmas > 0):
            raise ValueError("constraint sigmas must be positive")

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.names

    def residuals(self, p: Params) -> torch.Tensor:
        values = torch.stack([p[name] for name in self.names])
        return gaussian_constraint(values, self.means, self.sigmas, self.covariance)

    def minuit_cost(self) -> Any:
        error = self.sigmas if self.covariance is None else self.covariance
        return minuit_cost.NormalConstraint(list(self.names), self.means, error)


class TemplateModel:
    """Expected counts ``βᵢ Σ_k y_k t_ki`` from Monte Carlo templates, with Barlow–Beeston-lite nuisances.

    Each bin gets one nuisance ``βᵢ`` scaling the total prediction, constrained by the templates' own
    statistical uncertainty (:meth:`constraint`): ``βᵢ ~ N(1, δᵢ)`` with ``δᵢ`` the relative error of the
    nominal total in bin i.

    Parameters
    ----------
    templates : array, shape (k, bins)
        Template contents, each normalised here to unit sum.
    variances : array, shape (k, bins)
        Sums of squared weights of the template contents.
    yields : sequence of str
        Yield parameter names, one per template.
    nuisance : str
        Prefix of the nuisance parameter names (``beta_0``, ``beta_1``, …).
    nominal : sequence of float
        Yields at which ``δᵢ`` is evaluated (the start values).
    """

    def __init__(self, templates: np.ndarray, variances: np.ndarray, yields: Sequence[str], nominal: Sequence[float],
                 nuisance: str = "beta"):
        templates, variances = np.asarray(templates, float), np.asarray(variances, float)
        if templates.shape != variances.shape or templates.ndim != 2 or templates.shape[0] != len(yields):
            raise ValueError("templates and variances must both have shape (len(yields), bins)")
        totals = templates.sum(axis=1, keepdims=True)
        self.shapes = templates / totals
        self.shape_variances = variances / totals ** 2
        self.yield_names = tuple(yields)
        self.nuisance_names = tuple(f"{nuisance}_{i}" for i in range(templates.shape[1]))
        nominal = np.asarray(nominal, float)[:, None]
        prediction = np.sum(nominal * self.shapes, axis=0)
        spread = np.sqrt(np.sum(nominal ** 2 * self.shape_variances, axis=0))
        self.relative_errors = np.where(prediction > 0, spread / np.where(prediction > 0, prediction, 1.0), 1.0)
        self._shapes = torch.as_tensor(self.shapes)

    @property
    def parameters(self) -> tuple[str, ...]:
        return self.yield_names + self.nuisance_names

    def expected(self, edges: Any, p: Params) -> torch.Tensor:
        yields = torch.stack([p[name] for name in self.yield_names])
        beta = torch.stack([p[name] for name in self.nuisance_names])
        return beta * (yields @ self._shapes)

    def constraint(self) -> Constraint:
        """The Barlow–Beeston-lite constraint term on the nuisances."""
        return Constraint(self.nuisance_names, np.ones(len(self.nuisance_names)), self.relative_errors)
