"""A HEP fit run twice, with Sven and with Minuit, and compared side by side."""

from __future__ import annotations

import html
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

import numpy as np
import torch
from iminuit import Minuit
from iminuit.util import describe

from ..api import least_squares
from ..report import html_table, text_table
from ..result import FitResult
from .terms import Term


class HEPFit:
    """Named terms (likelihoods, χ², constraints) over shared named parameters.

    Parameters
    ----------
    terms : mapping
        Condition name -> :class:`~svenfit.hep.terms.Term`.
    start : mapping
        Parameter name -> start value (every parameter of every term).
    limits : mapping, optional
        Parameter name -> ``(low, high)``, either may be ``None`` or ``±inf``.
    fixed : sequence of str, optional
        Parameters held at their start values.
    """

    def __init__(self, terms: Mapping[str, Term], start: Mapping[str, float],
                 limits: Mapping[str, tuple[float | None, float | None]] | None = None, fixed: Sequence[str] = ()):
        if not terms:
            raise ValueError("a HEP fit needs at least one term")
        self.terms = dict(terms)
        self.names = list(dict.fromkeys(name for term in self.terms.values() for name in term.parameters))
        missing = [name for name in self.names if name not in start]
        if missing:
            raise ValueError(f"no start value for parameters {missing}")
        unknown = sorted(set(start) - set(self.names))
        if unknown:
            raise ValueError(f"start values for unknown parameters {unknown}; the terms use {self.names}")
        self.start = {name: float(start[name]) for name in self.names}
        self.limits = {name: tuple(np.inf * s if v is None else float(v) for v, s in zip(limit, (-1, 1)))
                       for name, limit in (limits or {}).items()}
        self.fixed = list(fixed)

    def conditions(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The residual of every term at the parameter vector ``x`` (ordered as :attr:`names`)."""
        p = dict(zip(self.names, x.unbind()))
        return {name: term.residuals(p) for name, term in self.terms.items()}

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lower = np.array([self.limits.get(n, (-np.inf, np.inf))[0] for n in self.names])
        upper = np.array([self.limits.get(n, (-np.inf, np.inf))[1] for n in self.names])
        for name in self.fixed:
            i = self.names.index(name)
            lower[i] = upper[i] = self.start[name]
        return lower, upper

    def sven(self, *, hesse: bool = True, **kwargs) -> FitResult:
        """Fit with Sven; ``hesse=True`` reports exact-Hessian errors (as Minuit's HESSE)."""
        result = least_squares(self.conditions, self.start, bounds=self.bounds(), **kwargs)
        return result.hesse() if hesse else result

    def minuit(self, *, minos: bool = False, tol: float = 1e-4) -> Minuit:
        """Fit with iminuit: MIGRAD then HESSE (and MINOS on request) on the equivalent cost.

        ``tol`` is Minuit's tolerance (MIGRAD stops at EDM < 0.002 · tol · errordef); the default is
        tighter than iminuit's 0.1 so that fvals can be compared to 1e-6.
        """
        costs = [term.minuit_cost() for term in self.terms.values()]
        total = costs[0]
        for c in costs[1:]:
            total = total + c
        m = Minuit(total, **{name: self.start[name] for name in describe(total)})
        for name, (low, high) in self.limits.items():
            m.limits[name] = (low, high)
        for name in self.fixed:
            m.fixed[name] = True
        m.tol = tol
        m.migrad()
        m.hesse()
        if minos:
            m.minos()
        return m

    def compare(self, *, minos: bool = False, **kwargs) -> "Comparison":
        """Run both fits and return their side-by-side comparison."""
        started = time.perf_counter()
        sven = self.sven(**kwargs)
        sven_time = time.perf_counter() - started
        started = time.perf_counter()
        m = self.minuit(minos=minos)
        minuit_time = time.perf_counter() - started
        return Comparison.of(sven, m, self.names, sven_time, minuit_time)


@dataclass
class Comparison:
    """Sven and Minuit on the same fit: values, errors, their differences, fvals, calls and times."""

    names: list[str]
    sven_values: np.ndarray
    sven_errors: np.ndarray
    minuit_values: np.ndarray
    minuit_errors: np.ndarray
    sven_fval: float
    minuit_fval: float
    ndof: int
    sven_calls: int
    minuit_calls: int
    sven_time: float
    minuit_time: float
    sven_valid: bool
    minuit_valid: bool
    fixed: np.ndarray
    sven_result: FitResult | None = field(default=None, repr=False)
    minuit: Minuit | None = field(default=None, repr=False)

    @classmethod
    def of(cls, sven: FitResult, m: Minuit, names: list[str], sven_time: float, minuit_time: float) -> "Comparison":
        minuit_values = np.array([m.values[name] for name in names])
        minuit_errors = np.array([0.0 if m.fixed[name] else m.errors[name] for name in names])
        return cls(names, np.asarray(sven.x), np.asarray(sven.errors), minuit_values, minuit_errors,
                   float(sven.chi2), float(m.fval), int(sven.ndof), int(sven.nfev + sven.njev), int(m.nfcn),
                   sven_time, minuit_time, bool(sven.success), bool(m.valid), np.asarray(sven.fixed), sven, m)

    @property
    def pulls(self) -> np.ndarray:
        """``(sven − minuit) / σ_minuit`` per parameter (0 for fixed ones)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.minuit_errors > 0, (self.sven_values - self.minuit_values) / self.minuit_errors, 0.0)

    @property
    def error_ratios(self) -> np.ndarray:
        """``σ_sven / σ_minuit`` per parameter (1 for fixed ones)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.minuit_errors > 0, self.sven_errors / self.minuit_errors, 1.0)

    def agrees(self, *, sigma: float = 0.01, errors: float = 0.02, fval: float = 1e-6) -> bool:
        """Whether every value is within ``sigma`` σ, every error within ``errors`` and fval within ``fval``."""
        return bool(np.all(np.abs(self.pulls) <= sigma) and np.all(np.abs(self.error_ratios - 1) <= errors)
                    and abs(self.sven_fval - self.minuit_fval) <= fval * max(1.0, abs(self.minuit_fval))
                    and self.sven_valid and self.minuit_valid)

    def rows(self) -> list[list[str]]:
        return [[name, f"{sv:.6g}", f"{se:.4g}", f"{mv:.6g}", f"{me:.4g}", "fixed" if fx else f"{pull:+.2e}",
                 "" if fx else f"{ratio:.5f}"]
                for name, sv, se, mv, me, pull, ratio, fx in zip(
                    self.names, self.sven_values, self.sven_errors, self.minuit_values, self.minuit_errors,
                    self.pulls, self.error_ratios, self.fixed)]

    HEADER = ["parameter", "sven value", "sven error", "minuit value", "minuit error", "Δ/σ", "σ ratio"]

    def summary(self) -> list[str]:
        return [f"fval: sven {self.sven_fval:.10g}   minuit {self.minuit_fval:.10g}   "
                f"difference {self.sven_fval - self.minuit_fval:+.2e}   ndof {self.ndof}",
                f"calls: sven {self.sven_calls}   minuit {self.minuit_calls}      wall time: sven "
                f"{self.sven_time:.3f} s   minuit {self.minuit_time:.3f} s   (minuit/sven {self.minuit_time / self.sven_time:.1f}×)",
                f"valid: sven {self.sven_valid}   minuit {self.minuit_valid}      agreement "
                f"(0.01σ, 2% errors, 1e-6 fval): {'yes' if self.agrees() else 'NO'}"]

    def __str__(self) -> str:
        return "\n".join(self.summary() + [""] + text_table(self.HEADER, self.rows()))

    def _repr_html_(self) -> str:
        summary = "<br>".join(html.escape(line) for line in self.summary())
        return f"<div><p>{summary}</p>{html_table(self.HEADER, self.rows())}</div>"

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("sven_result", "minuit")}
        out.update(pulls=self.pulls, error_ratios=self.error_ratios, agrees=self.agrees())
        return {k: v.tolist() if isinstance(v, np.ndarray) else v for k, v in out.items()}
