"""Robust loss functions as residual maps.

scipy's ``least_squares`` minimises ``½ f_scale² Σ ρ((rᵢ/f_scale)²)``. Sven needs residuals, not a
scalar loss, so each residual is mapped to ``r̃ = r √(ρ(z)/z)`` with ``z = (r/f_scale)²``; then
``½‖r̃‖²`` is exactly scipy's cost, and the Gauss–Newton machinery applies unchanged. ``ρ(z)/z`` is
written in closed forms that stay finite (with finite derivatives) at ``z = 0``.
"""

from __future__ import annotations

from typing import Callable

import torch
from torch.func import jvp

# Below this z the series 1 − z/2 (cauchy) or 1 − z²/3 (arctan) is exact to double precision.
_SERIES = 1e-8


def _linear(z: torch.Tensor) -> torch.Tensor:
    return torch.ones_like(z)


def _soft_l1(z: torch.Tensor) -> torch.Tensor:
    return 2.0 / (torch.sqrt(1.0 + z) + 1.0)


def _huber(z: torch.Tensor) -> torch.Tensor:
    safe = torch.clamp(z, min=1.0)
    return torch.where(z <= 1.0, torch.ones_like(z), (2.0 * torch.sqrt(safe) - 1.0) / safe)


def _cauchy(z: torch.Tensor) -> torch.Tensor:
    safe = torch.where(z > _SERIES, z, torch.ones_like(z))
    return torch.where(z > _SERIES, torch.log1p(safe) / safe, 1.0 - z / 2.0)


def _arctan(z: torch.Tensor) -> torch.Tensor:
    safe = torch.where(z > _SERIES, z, torch.ones_like(z))
    return torch.where(z > _SERIES, torch.arctan(safe) / safe, 1.0 - z * z / 3.0)


RATIOS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "linear": _linear, "soft_l1": _soft_l1, "huber": _huber, "cauchy": _cauchy, "arctan": _arctan,
}


def check_loss(loss: str, f_scale: float) -> None:
    """Raise ``ValueError`` for an unknown loss or a non-positive ``f_scale``."""
    if loss not in RATIOS:
        raise ValueError(f"loss must be one of {tuple(RATIOS)}, got {loss!r}")
    if not f_scale > 0:
        raise ValueError(f"f_scale must be positive, got {f_scale!r}")


def robust(r: torch.Tensor, loss: str, f_scale: float) -> torch.Tensor:
    """The robust residuals ``r √(ρ(z)/z)``; ``r`` itself for the linear loss."""
    if loss == "linear":
        return r
    z = (r / f_scale) ** 2
    return r * torch.sqrt(RATIOS[loss](z))


def robust_with_slope(r: torch.Tensor, loss: str, f_scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Robust residuals and their elementwise derivative ``dr̃/dr`` (to scale Jacobian rows)."""
    if loss == "linear":
        return r, torch.ones_like(r)
    return jvp(lambda v: robust(v, loss, f_scale), (r,), (torch.ones_like(r),))
