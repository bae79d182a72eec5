"""Text and HTML reports of a :class:`~svenfit.result.FitResult` (Minuit-like tables)."""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .result import FitResult

# Longer parameter lists are cut to this many rows in reports.
MAX_ROWS = 30


def _number(value: float, digits: int = 6) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    return f"{value:.{digits}g}"


def _flags(result: "FitResult", i: int) -> str:
    if result.fixed[i]:
        return "fixed"
    return {-1: "at lower bound", 1: "at upper bound"}.get(int(result.active_mask[i]), "")


def _determined_by(result: "FitResult", i: int) -> str:
    shares = result.parameter_shares
    if shares is None or result.fixed[i] or result.at_bound[i]:
        return ""
    if result.errors is not None and not math.isfinite(result.errors[i]):
        return "unconstrained"
    ranked = sorted(((float(v[i]), name) for name, v in shares.items()), reverse=True)
    parts = [f"{name} {share:.0%}" for share, name in ranked if share >= 0.05]
    return ", ".join(parts[:3])


def summary_lines(result: "FitResult") -> list[str]:
    """The header lines: status, fit quality, counts and spectrum."""
    state = "success" if result.success else "FAILED"
    return [
        f"svenfit ({result.method}): {state} [status {result.status}] {result.message}",
        f"cost {_number(result.cost)}   chi2 {_number(result.chi2)}   ndof {result.ndof}   "
        f"chi2/ndof {_number(result.reduced_chi2, 4)}   p-value {_number(result.pvalue, 3)}",
        f"nfev {result.nfev}   njev {result.njev}   iterations {result.nit}   time {result.time:.3g} s   "
        f"covariance {result.covariance_method}",
        f"rank {result.rank} of {int(np.sum(~result.fixed & ~result.at_bound))} active parameters   "
        f"cond {_number(result.cond, 3)}",
    ]


def parameter_rows(result: "FitResult") -> list[list[str]]:
    """One row per parameter: index, name, value, error, flags, determined by."""
    rows = []
    for i, name in enumerate(result.names[:MAX_ROWS]):
        error = None if result.errors is None else float(result.errors[i])
        rows.append([str(i), name, _number(float(result.x[i])), _number(error, 4), _flags(result, i),
                     _determined_by(result, i)])
    return rows


def condition_rows(result: "FitResult") -> list[list[str]]:
    """One row per condition: name, rows, chi2, leverage, ndof, chi2/ndof, p-value, max |r|."""
    return [[name, str(c.rows), _number(c.chi2, 5), _number(c.leverage, 4), _number(c.ndof, 4),
             _number(c.chi2_ndof, 4), _number(c.pvalue, 3), _number(c.max_abs, 4)]
            for name, c in result.conditions.items()]


PARAMETER_HEADER = ["#", "parameter", "value", "error", "flags", "determined by"]
CONDITION_HEADER = ["condition", "rows", "chi2", "leverage", "ndof", "chi2/ndof", "p-value", "max|r|"]


def text_table(header: list[str], rows: list[list[str]]) -> list[str]:
    """Aligned text lines: the header, a rule, then the rows."""
    widths = [max(len(header[j]), *(len(row[j]) for row in rows)) for j in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(header), line(["─" * w for w in widths])] + [line(row) for row in rows]


def text_report(result: "FitResult") -> str:
    """A plain-text report: summary, parameters, conditions, unconstrained and weakest directions."""
    lines = summary_lines(result) + [""] + text_table(PARAMETER_HEADER, parameter_rows(result))
    if len(result.names) > MAX_ROWS:
        lines.append(f"… {len(result.names) - MAX_ROWS} more parameters")
    lines += [""] + text_table(CONDITION_HEADER, condition_rows(result)) + [""]
    lines.append("unconstrained directions: " + ("none" if not result.unconstrained else ""))
    lines += [f"  {d}" for d in result.unconstrained]
    if result.weakest:
        lines.append("weakest constrained directions:")
        lines += [f"  {d}" for d in result.weakest]
    return "\n".join(lines)


def html_table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table with escaped cells."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(result: "FitResult") -> str:
    """The report as HTML tables for Jupyter."""
    colour = "#2e7d32" if result.success else "#c62828"
    summary = "<br>".join(html.escape(line) for line in summary_lines(result))
    parts = [f"<div><p style='border-left:4px solid {colour};padding-left:6px'>{summary}</p>",
             html_table(PARAMETER_HEADER, parameter_rows(result)),
             html_table(CONDITION_HEADER, condition_rows(result))]
    if result.unconstrained:
        parts.append("<p>Unconstrained: " + "; ".join(html.escape(d) for d in result.unconstrained) + "</p>")
    return "".join(parts) + "</div>"
