"""The fitted parameters: names, start values, bounds, fixed ones, and ``nn.Module`` parameters.

A :class:`ParameterSpace` maps between three views of the parameters:

- the *external* full vector x (every parameter, in the user's units and order);
- the *free* vector (x without fixed parameters), what Jacobian columns refer to;
- the *internal* vector z (free parameters through the bound transforms), what the engine moves.

It also builds the object the fitted function receives: the full parameter tensor, or for an
``nn.Module`` start a :class:`FunctionalModule` that runs the module with the given parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from scipy.optimize import Bounds
from torch.func import functional_call

from .bounds import BoundTransform


class FunctionalModule:
    """Stand-in for an ``nn.Module`` that runs it with given parameter tensors.

    The fitted function receives this in place of the module: calling it runs the module through
    ``torch.func.functional_call``, so the engine can differentiate with respect to the parameters and
    the user's module is left untouched until the fit is written back.
    """

    def __init__(self, module: torch.nn.Module, parameters: Mapping[str, torch.Tensor]):
        self.module = module
        self.parameters = dict(parameters)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return functional_call(self.module, self.parameters, args, kwargs)


@dataclass(frozen=True)
class ModuleLayout:
    """Where each trainable tensor of a module sits in the flat parameter vector."""

    module: torch.nn.Module
    names: tuple[str, ...]
    shapes: tuple[torch.Size, ...]

    @classmethod
    def of(cls, module: torch.nn.Module) -> "ModuleLayout":
        # named_parameters() lists a tied tensor once, so tied parameters stay tied; frozen ones
        # (requires_grad=False) are left out and functional_call takes them from the module.
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("the module has no trainable parameters (requires_grad=True)")
        return cls(module, tuple(n for n, _ in named), tuple(p.shape for _, p in named))

    def flatten(self) -> torch.Tensor:
        params = dict(self.module.named_parameters())
        return torch.cat([params[name].detach().reshape(-1) for name in self.names])

    def unflatten(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        sizes = [int(np.prod(shape)) for shape in self.shapes]
        pieces = torch.split(flat, sizes)
        return {name: piece.reshape(shape) for name, piece, shape in zip(self.names, pieces, self.shapes)}

    def element_names(self) -> list[str]:
        out = []
        for name, shape in zip(self.names, self.shapes):
            for index in np.ndindex(*shape) if len(shape) else [()]:
                out.append(f"{name}[{','.join(map(str, index))}]" if index else name)
        return out

    def write_back(self, flat: torch.Tensor) -> None:
        """Copy ``flat`` into the module's parameters (in place, without autograd)."""
        params = dict(self.module.named_parameters())
        with torch.no_grad():
            for name, value in self.unflatten(flat).items():
                params[name].copy_(value.to(params[name].dtype))


def _as_vector(values: Any, what: str, dtype: torch.dtype, device: torch.device | None) -> torch.Tensor:
    if isinstance(values, torch.Tensor):
        vector = values.detach().to(dtype=dtype, device=device)
    else:
        vector = torch.as_tensor(np.asarray(values, dtype=float), dtype=dtype, device=device)
    if vector.dim() > 1:
        raise ValueError(f"{what} must be 1-D, got shape {tuple(vector.shape)}")
    return vector.reshape(-1)


def _format(names: Sequence[str], index: Sequence[int] | np.ndarray) -> str:
    return ", ".join(names[i] for i in index)


class ParameterSpace:
    """Names, start values, bounds and fixed parameters of a fit.

    Parameters
    ----------
    x0 : array-like, Tensor, mapping or nn.Module
        Start values; a mapping gives names through its keys; a module gives its trainable parameters.
    names : sequence of str, optional
        Parameter names (default ``x0, x1, …``, or the mapping keys / module parameter names).
    bounds : 2-tuple of array-like or scipy.optimize.Bounds
        Lower and upper bounds, scalars broadcast; ``lb == ub`` fixes a parameter.
    dtype, device
        Torch dtype and device of the parameter tensors.
    """

    def __init__(self, x0: Any, names: Sequence[str] | None, bounds: Any, dtype: torch.dtype,
                 device: torch.device | None):
        self.dtype, self.device = dtype, device
        self.layout: ModuleLayout | None = None
        if isinstance(x0, torch.nn.Module):
            self.layout = ModuleLayout.of(x0)
            start = self.layout.flatten().to(dtype=dtype, device=device)
            default_names = self.layout.element_names()
        elif isinstance(x0, Mapping):
            if not x0:
                raise ValueError("x0 is an empty mapping")
            start = _as_vector([float(v) for v in x0.values()], "x0", dtype, device)
            default_names = [str(key) for key in x0]
        else:
            start = _as_vector(x0, "x0", dtype, device)
            default_names = [f"x{i}" for i in range(start.numel())]
        if start.numel() == 0:
            raise ValueError("x0 has no parameters")
        if names is None:
            names = default_names
        names = [str(name) for name in names]
        if len(names) != start.numel():
            raise ValueError(f"names has {len(names)} entries but x0 has {start.numel()} parameters")
        if len(set(names)) != len(names):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"parameter names must be unique; repeated: {duplicated}")
        self.names = names
        bad = torch.nonzero(~torch.isfinite(start)).reshape(-1).tolist()
        if bad:
            raise ValueError(f"x0 has non-finite values for {_format(names, bad)}: "
                             f"{start[bad].tolist()}")
        self.lower, self.upper = self._parse_bounds(bounds, start.numel())
        if self.layout is not None and (torch.isfinite(self.lower).any() or torch.isfinite(self.upper).any()):
            raise ValueError("bounds are not supported when x0 is an nn.Module")
        outside = torch.nonzero((start < self.lower) | (start > self.upper)).reshape(-1).tolist()
        if outside:
            detail = "; ".join(f"{names[i]}={float(start[i])!r} not in [{float(self.lower[i])}, "
                               f"{float(self.upper[i])}]" for i in outside)
            raise ValueError(f"x0 is outside the bounds: {detail}")
        self.fixed = self.lower == self.upper
        self.free = torch.nonzero(~self.fixed).reshape(-1)
        if self.free.numel() == 0:
            raise ValueError("every parameter is fixed (lb == ub); nothing to fit")
        self.transform = BoundTransform(self.lower[self.free], self.upper[self.free])
        self.x0 = torch.where(self.fixed, self.lower, start)
        self.x0[self.free] = self.transform.move_inside(self.x0[self.free])

    def _parse_bounds(self, bounds: Any, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        if isinstance(bounds, Bounds):
            lb, ub = bounds.lb, bounds.ub
        else:
            try:
                lb, ub = bounds
            except (TypeError, ValueError):
                raise ValueError("bounds must be a 2-tuple (lb, ub) or scipy.optimize.Bounds") from None
        pair = []
        for side, values in (("lower", lb), ("upper", ub)):
            vector = torch.as_tensor(np.asarray(values, dtype=float), dtype=self.dtype, device=self.device)
            if vector.dim() > 1 or vector.numel() not in (1, n):
                raise ValueError(f"{side} bounds have shape {tuple(vector.shape)}; expected a scalar or ({n},)")
            if torch.isnan(vector).any():
                raise ValueError(f"{side} bounds contain NaN")
            pair.append(vector.expand(n).clone())
        lower, upper = pair
        crossed = torch.nonzero(lower > upper).reshape(-1).tolist()
        if crossed:
            raise ValueError(f"lower bound above upper bound for {_format(self.names, crossed)}")
        return lower, upper

    @property
    def n(self) -> int:
        """Number of parameters, fixed ones included."""
        return len(self.names)

    @property
    def free_names(self) -> list[str]:
        return [self.names[i] for i in self.free.tolist()]

    def full(self, x_free: torch.Tensor) -> torch.Tensor:
        """The full external vector from the free values (fixed ones inserted); differentiable."""
        if self.free.numel() == self.n:
            return x_free
        return self.x0.index_put((self.free,), x_free)

    def argument(self, x_full: torch.Tensor) -> torch.Tensor | FunctionalModule:
        """What the fitted function receives for the external vector ``x_full``."""
        if self.layout is None:
            return x_full
        return FunctionalModule(self.layout.module, self.layout.unflatten(x_full))

    def lift(self, x_free: torch.Tensor) -> torch.Tensor | FunctionalModule:
        """The fitted function's argument for free values ``x_free``."""
        return self.argument(self.full(x_free))

    def to_numpy(self, x_full: torch.Tensor) -> np.ndarray:
        return x_full.detach().cpu().numpy().astype(float)
