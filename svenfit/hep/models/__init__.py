"""Differentiable, normalised 1-D probability densities for binned fits.

Every model is written in torch and computes in float64 (inputs are converted),
differentiable with autograd and usable under ``torch.func`` transforms
(``jacrev``, ``jacfwd``, ``hessian``, ``vmap`` over parameters). Shape
parameters and yields are referenced by name (looked up in a mapping of 0-d
tensors at evaluation time) or given as constants::

    sig = Voigt(mass="mz", width="gz", sigma="res")
    bkg = Exponential(slope="lam")
    model = "ns" * sig + "nb" * bkg          # ExtendedSum
    model.parameters                         # ('ns', 'mz', 'gz', 'res', 'nb', 'lam')
    mu = model.expected(edges, p)            # expected counts per bin

Densities are truncated to the fit range: ``pdf(x, p, lo, hi)`` integrates to
1 over ``[lo, hi]``, and ``bin_probabilities(edges, p)`` are exact bin
integrals (closed form, or Gauss–Legendre quadrature for :class:`Voigt`,
:class:`RelativisticBreitWigner` and :class:`Argus`) of the density
normalised on ``[edges[0], edges[-1]]``; they sum to 1.

Parameter values are not range-checked at run time (that would break
``torch.func``): widths and sigmas must be positive, Crystal Ball ``alpha``
and ``n`` positive; invalid values give NaN or meaningless results.
"""

from ._base import ExtendedSum, Model, ParamSpec, Params, QuadratureModel
from .background import Argus, Bernstein, Chebyshev, Exponential
from .peaks import BreitWigner, CrystalBall, DoubleCrystalBall, Gaussian, RelativisticBreitWigner, Voigt, faddeeva

__all__ = [
    "Argus",
    "Bernstein",
    "BreitWigner",
    "Chebyshev",
    "CrystalBall",
    "DoubleCrystalBall",
    "Exponential",
    "ExtendedSum",
    "Gaussian",
    "Model",
    "ParamSpec",
    "Params",
    "QuadratureModel",
    "RelativisticBreitWigner",
    "Voigt",
    "faddeeva",
]
