"""Error metrics comparing a prediction with a reference solution.

Inputs can be torch tensors (any device, with or without grad), numpy arrays
or nested sequences. Both must have the same shape (no broadcasting) and at
least one element; all elements are compared, so ``(n, 1)`` and ``(n,)`` are
a shape mismatch. Results are Python floats.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import torch
from numpy.typing import ArrayLike

__all__ = ["relative_l2", "max_abs_error", "relative_linf"]

ArrayOrTensor = Union[torch.Tensor, ArrayLike]


def _as_numpy(a: ArrayOrTensor) -> np.ndarray:
    """Float64 numpy copy or view of a tensor or array-like."""
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=np.float64)


def _error_and_reference(prediction: ArrayOrTensor, reference: ArrayOrTensor) -> tuple[np.ndarray, np.ndarray]:
    """Flattened ``prediction - reference`` and ``reference``, after checks."""
    pred, ref = _as_numpy(prediction), _as_numpy(reference)
    if pred.shape != ref.shape:
        raise ValueError(f"shape mismatch: prediction {pred.shape} vs reference {ref.shape}")
    if ref.size == 0:
        raise ValueError("cannot compare empty arrays")
    return (pred - ref).ravel(), ref.ravel()


def _relative(error_norm: float, reference_norm: float) -> float:
    """``error_norm / reference_norm``, refusing a zero reference."""
    if reference_norm == 0.0:
        raise ValueError("relative error undefined: the reference is identically zero")
    return error_norm / reference_norm


def relative_l2(prediction: ArrayOrTensor, reference: ArrayOrTensor) -> float:
    """Relative L2 error ``||prediction - reference||_2 / ||reference||_2``.

    Parameters
    ----------
    prediction, reference : Tensor or array_like
        Same shape; the norm runs over all elements.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On a shape mismatch, empty inputs, or an identically zero reference.
    """
    error, ref = _error_and_reference(prediction, reference)
    return _relative(float(np.linalg.norm(error)), float(np.linalg.norm(ref)))


def max_abs_error(prediction: ArrayOrTensor, reference: ArrayOrTensor) -> float:
    """Maximum absolute error ``max |prediction - reference|``.

    Parameters
    ----------
    prediction, reference : Tensor or array_like
        Same shape.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On a shape mismatch or empty inputs.
    """
    error, _ = _error_and_reference(prediction, reference)
    return float(np.max(np.abs(error)))


def relative_linf(prediction: ArrayOrTensor, reference: ArrayOrTensor) -> float:
    """Relative maximum error ``max |prediction - reference| / max |reference|``.

    Parameters
    ----------
    prediction, reference : Tensor or array_like
        Same shape.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On a shape mismatch, empty inputs, or an identically zero reference.
    """
    error, ref = _error_and_reference(prediction, reference)
    return _relative(float(np.max(np.abs(error))), float(np.max(np.abs(ref))))
