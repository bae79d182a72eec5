"""svenfit: multi-condition least-squares fitting with Sven (Singular Value dEsceNt).

Public API
----------
least_squares, curve_fit
    scipy-style fitters over named groups of residuals ("conditions").
Pointwise
    A condition given point by point (Jacobian rows built per point with torch.func).
FitResult
    scipy's OptimizeResult plus covariance, errors and per-condition diagnostics.
optim.Sven
    Sven as a ``torch.optim.Optimizer`` for minibatch training loops.

Subpackages: ``svenfit.hep`` (ROOT input, models, likelihood conditions, Minuit comparison) and
``svenfit.pde`` (derivatives, collocation sampling, PINN conditions and problems).
"""

from . import optim
from .api import curve_fit, least_squares
from .conditions import Pointwise
from .result import FitResult

__all__ = ["least_squares", "curve_fit", "Pointwise", "FitResult", "optim"]
__version__ = "0.1.0"
