"""Minuit-style parameter transforms that keep bounded parameters inside their bounds.

The engine works on unbounded internal coordinates z; each bounded parameter is mapped to its external
value by a smooth function whose range is exactly the allowed interval, so the fitted function is never
evaluated outside the bounds:

- two-sided ``[lb, ub]``: ``x = lb + (ub − lb)(sin z + 1)/2``;
- lower bound only: ``x = lb − 1 + √(z² + 1)``;
- upper bound only: ``x = ub + 1 − √(z² + 1)``;
- unbounded: ``x = z``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

# A start exactly on a bound sits where dx/dz = 0; it is moved inside by this fraction of the range
# (or of max(1, |bound|) for one-sided bounds), as scipy's trust-region methods do.
_INSIDE = 1e-10


@dataclass(frozen=True)
class BoundTransform:
    """Elementwise map between internal coordinates z and bounded external values x.

    Parameters
    ----------
    lower, upper : Tensor
        Bounds of each parameter; ``±inf`` where there is none.
    """

    lower: torch.Tensor
    upper: torch.Tensor

    @property
    def _kinds(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        has_lo, has_hi = torch.isfinite(self.lower), torch.isfinite(self.upper)
        return has_lo & has_hi, has_lo & ~has_hi, ~has_lo & has_hi

    def _safe_bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        # Replace infinite bounds by 0 so that unused branches of torch.where stay finite (and so do
        # their gradients).
        lo = torch.where(torch.isfinite(self.lower), self.lower, torch.zeros_like(self.lower))
        hi = torch.where(torch.isfinite(self.upper), self.upper, torch.zeros_like(self.upper))
        return lo, hi

    def to_external(self, z: torch.Tensor) -> torch.Tensor:
        """External values ``x(z)``, always within the bounds."""
        two, low, high = self._kinds
        lo, hi = self._safe_bounds()
        root = torch.sqrt(z * z + 1.0)
        x = torch.where(two, lo + (hi - lo) * (torch.sin(z) + 1.0) / 2.0, z)
        x = torch.where(low, lo - 1.0 + root, x)
        x = torch.where(high, hi + 1.0 - root, x)
        return torch.minimum(torch.maximum(x, self.lower), self.upper)

    def derivative(self, z: torch.Tensor) -> torch.Tensor:
        """``dx/dz``, elementwise."""
        two, low, high = self._kinds
        lo, hi = self._safe_bounds()
        root = torch.sqrt(z * z + 1.0)
        d = torch.where(two, (hi - lo) * torch.cos(z) / 2.0, torch.ones_like(z))
        d = torch.where(low, z / root, d)
        return torch.where(high, -z / root, d)

    def to_internal(self, x: torch.Tensor) -> torch.Tensor:
        """Internal coordinates of external values ``x`` (which must lie within the bounds)."""
        two, low, high = self._kinds
        lo, hi = self._safe_bounds()
        x = self.move_inside(x)
        width = torch.where(two, hi - lo, torch.ones_like(x))
        z = torch.where(two, torch.asin(torch.clamp(2.0 * (x - lo) / width - 1.0, -1.0, 1.0)), x)
        z = torch.where(low, torch.sqrt(torch.clamp((x - lo + 1.0) ** 2 - 1.0, min=0.0)), z)
        return torch.where(high, torch.sqrt(torch.clamp((hi - x + 1.0) ** 2 - 1.0, min=0.0)), z)

    def move_inside(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with values sitting exactly on a bound moved a tiny step inside."""
        two, _, _ = self._kinds
        lo, hi = self._safe_bounds()
        span = torch.where(two, hi - lo, torch.maximum(torch.ones_like(x), torch.maximum(lo.abs(), hi.abs())))
        nudge = _INSIDE * span
        x = torch.where(torch.isfinite(self.lower) & (x <= self.lower), self.lower + nudge, x)
        return torch.where(torch.isfinite(self.upper) & (x >= self.upper), self.upper - nudge, x)
