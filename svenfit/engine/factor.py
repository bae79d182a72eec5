"""Truncated factorisations of the residual Jacobian.

Every factorisation returns the same object, a :class:`Spectrum` ``J ≈ U diag(s) Vᵀ`` holding only the
kept singular triplets, so the step, the damping and the diagnostics never need to know which one ran.

- ``dense``: ``torch.linalg.svd`` of J, the reference;
- ``gram``: eigen-decomposition of the smaller Gram matrix (``J Jᵀ`` when m < n, ``Jᵀ J`` otherwise),
  accumulated in float64;
- ``randomized``: a randomized range finder (Halko, Martinsson & Tropp 2011) that needs only products
  with J and Jᵀ, so it also runs on a matrix-free :class:`JacobianOperator`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import torch

FACTORIZATIONS = ("auto", "dense", "gram", "randomized")

# Below this many columns (or rows) the dense SVD is cheap enough to be the default everywhere:
# it is the most accurate factorisation, and small problems are where conditioning is often worst.
DENSE_LIMIT = 128


class JacobianOperator(Protocol):
    """Products with a Jacobian J (m × n) without necessarily forming it."""

    shape: tuple[int, int]
    dtype: torch.dtype
    device: torch.device

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``J @ x`` for ``x`` of shape (n, p)."""

    def rmatmul(self, y: torch.Tensor) -> torch.Tensor:
        """Return ``Jᵀ @ y`` for ``y`` of shape (m, p)."""


@dataclass(frozen=True)
class DenseOperator:
    """A :class:`JacobianOperator` backed by an explicit matrix."""

    matrix: torch.Tensor

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.matrix.shape)

    @property
    def dtype(self) -> torch.dtype:
        return self.matrix.dtype

    @property
    def device(self) -> torch.device:
        return self.matrix.device

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        return self.matrix @ x

    def rmatmul(self, y: torch.Tensor) -> torch.Tensor:
        return self.matrix.T @ y


@dataclass(frozen=True)
class Spectrum:
    """The kept singular triplets of a Jacobian, ``J ≈ U diag(s) Vᵀ``.

    Attributes
    ----------
    U : Tensor, shape (m, k)
        Left singular vectors (orthonormal columns).
    s : Tensor, shape (k,)
        Kept singular values, descending and positive.
    V : Tensor, shape (n, k)
        Right singular vectors (orthonormal columns).
    s_max : float
        The largest singular value of J (the reference for ``rtol``).
    method : str
        Which factorisation produced it.
    """

    U: torch.Tensor
    s: torch.Tensor
    V: torch.Tensor
    s_max: float
    method: str

    @property
    def rank(self) -> int:
        return int(self.s.numel())

    def project(self, r: torch.Tensor) -> torch.Tensor:
        """Coordinates ``b = Uᵀ r`` of the residual in the kept left singular basis."""
        return self.U.T @ r

    def gains(self, damping: float, lr: float = 1.0) -> torch.Tensor:
        """Fraction of each projected residual the step removes: ``lr · s² / (s² + λ)``."""
        s2 = self.s * self.s
        return lr * s2 / (s2 + damping)

    def step(self, b: torch.Tensor, damping: float, lr: float = 1.0) -> torch.Tensor:
        """The spectrally filtered step ``δ = −lr · V diag(s / (s² + λ)) b``.

        With ``damping = 0`` and ``lr = 1`` this is the minimum-norm least-squares solution of
        ``J δ = −r`` in the kept subspace (plain Sven); with ``damping > 0`` it is the
        Levenberg–Marquardt step.
        """
        filtered = self.s / (self.s * self.s + damping) * b
        return -lr * (self.V @ filtered)

    def predicted_reduction(self, b: torch.Tensor, damping: float, lr: float = 1.0) -> float:
        """Reduction of ``½‖r‖²`` that the linear model predicts for :meth:`step`."""
        t = self.gains(damping, lr)
        return float(0.5 * torch.sum(b * b * t * (2.0 - t)))


def default_rtol(method: str, shape: tuple[int, int], dtype: torch.dtype, damped: bool = False) -> float:
    """Relative singular-value cutoff used when the caller gives none.

    For an SVD of J the noise floor is ``eps · max(m, n) · σ₁`` (numpy's ``lstsq`` convention). A Gram
    matrix holds σ², so its floor in σ is the square root of that — unless the step is ``damped``: the
    filter σ/(σ² + λ) then bounds the gain of every direction, noisy ones included, and cutting them at
    the Gram floor would stall fits (PINNs) that need directions far below it.
    """
    eps = torch.finfo(dtype).eps
    floor = eps * max(shape)
    return math.sqrt(floor) if method == "gram" and not damped else floor


def choose(shape: tuple[int, int], k: int | None, matrix_free: bool) -> str:
    """Pick a factorisation from the Jacobian's shape and the truncation ``k``."""
    if matrix_free:
        return "randomized"
    small = min(shape)
    if small <= DENSE_LIMIT:
        return "dense"
    if k is not None and 4 * (k + _OVERSAMPLE) < small:
        return "randomized"
    return "gram"


def _kept(s: torch.Tensor, k: int | None, rtol: float) -> int:
    """How many of the descending singular values ``s`` survive ``rtol`` and ``k``."""
    s_max = float(s[0]) if s.numel() else 0.0
    keep = int(torch.count_nonzero(s > rtol * s_max)) if s_max > 0 else 0
    return keep if k is None else min(keep, k)


def _truncate(U: torch.Tensor, s: torch.Tensor, V: torch.Tensor, k: int | None, rtol: float,
              method: str) -> Spectrum:
    keep = _kept(s, k, rtol)
    s_max = float(s[0]) if s.numel() else 0.0
    return Spectrum(U[:, :keep], s[:keep], V[:, :keep], s_max, method)


def dense(J: torch.Tensor, k: int | None, rtol: float) -> Spectrum:
    """Truncated spectrum from a full thin SVD of J."""
    U, s, Vh = torch.linalg.svd(J, full_matrices=False)
    return _truncate(U, s, Vh.T, k, rtol, "dense")


def gram(J: torch.Tensor, k: int | None, rtol: float) -> Spectrum:
    """Truncated spectrum from the eigen-decomposition of the smaller Gram matrix (float64)."""
    m, n = J.shape
    J64 = J.to(torch.float64)
    rows = m < n
    G = J64 @ J64.T if rows else J64.T @ J64
    evals, evecs = torch.linalg.eigh(G)
    evals, evecs = evals.flip(0), evecs.flip(1)
    s = torch.sqrt(torch.clamp(evals, min=0.0))
    s_max = float(s[0]) if s.numel() else 0.0
    keep = _kept(s, k, rtol)
    s, evecs = s[:keep], evecs[:, :keep]
    other = (J64.T @ evecs if rows else J64 @ evecs) / s
    U, V = (evecs, other) if rows else (other, evecs)
    return Spectrum(U.to(J.dtype), s.to(J.dtype), V.to(J.dtype), s_max, "gram")


_OVERSAMPLE = 10


def randomized(op: JacobianOperator, k: int | None, rtol: float, *, power_iterations: int = 2,
               oversample: int = _OVERSAMPLE, seed: int = 0) -> Spectrum:
    """Truncated spectrum from a randomized range finder with power iterations.

    Needs ``k`` products with J and Jᵀ per pass and never forms J. With ``k`` at or above the
    numerical rank the range is captured exactly and the step equals the dense one.
    """
    m, n = op.shape
    width = min(m, n, (k if k is not None else min(m, n)) + oversample)
    generator = torch.Generator(device=op.device).manual_seed(seed)
    omega = torch.randn(n, width, dtype=op.dtype, device=op.device, generator=generator)
    Q, _ = torch.linalg.qr(op.matmul(omega))
    for _ in range(power_iterations):
        W, _ = torch.linalg.qr(op.rmatmul(Q))
        Q, _ = torch.linalg.qr(op.matmul(W))
    B = op.rmatmul(Q).T  # Qᵀ J, shape (width, n)
    Ub, s, Vh = torch.linalg.svd(B, full_matrices=False)
    return _truncate(Q @ Ub, s, Vh.T, k, rtol, "randomized")


def factorize(jacobian: torch.Tensor | JacobianOperator, *, method: str = "auto", k: int | None = None,
              rtol: float | None = None, damped: bool = False) -> Spectrum:
    """Truncated spectrum of a Jacobian by the named (or automatically chosen) factorisation.

    Parameters
    ----------
    jacobian : Tensor or JacobianOperator
        The Jacobian, explicit (m × n) or as an operator (then only ``randomized`` applies).
    method : {"auto", "dense", "gram", "randomized"}
        The factorisation; "auto" chooses from the shape and ``k``.
    k : int, optional
        Keep at most this many singular triplets.
    rtol : float, optional
        Keep only singular values above ``rtol · σ₁``; defaults to the factorisation's noise floor.
    damped : bool
        Whether the step will be damped (which sets the default ``rtol``, see :func:`default_rtol`).
    """
    if method not in FACTORIZATIONS:
        raise ValueError(f"factorization must be one of {FACTORIZATIONS}, got {method!r}")
    matrix_free = not isinstance(jacobian, torch.Tensor)
    shape = tuple(jacobian.shape)
    if method == "auto":
        method = choose(shape, k, matrix_free)
    if matrix_free and method != "randomized":
        raise ValueError(f"a matrix-free Jacobian can only use the randomized factorisation, not {method!r}")
    if rtol is None:
        rtol = default_rtol(method, shape, jacobian.dtype, damped)
    if method == "dense":
        return dense(jacobian, k, rtol)
    if method == "gram":
        return gram(jacobian, k, rtol)
    op = DenseOperator(jacobian) if isinstance(jacobian, torch.Tensor) else jacobian
    return randomized(op, k, rtol)
