"""The standard PINN problems with known solutions: 2-D Poisson, 1+1-D heat, viscous Burgers.

Each builder returns a :class:`PINNProblem`: the network, the conditions function for
:func:`svenfit.least_squares` (or a closure for an optimizer), and the reference on an evaluation grid.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import torch

from . import conditions as c
from .derivatives import derivatives, laplacian, partial
from .metrics import relative_l2
from .reference import BURGERS_NU, burgers_solution, heat_1d_solution, poisson_2d_solution, poisson_2d_source
from .sampling import Box


def mlp(widths: Sequence[int], *, seed: int = 0, dtype: torch.dtype = torch.float64) -> torch.nn.Sequential:
    """A tanh multilayer perceptron with the given layer widths (input first, output last)."""
    torch.manual_seed(seed)
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(torch.nn.Tanh())
    return torch.nn.Sequential(*layers).to(dtype)


@dataclass
class PINNProblem:
    """A PINN problem: network, conditions, and the reference solution on a grid.

    Attributes
    ----------
    name : str
    model : nn.Module
        The network (fitted in place).
    conditions : callable
        ``conditions(model) -> {name: Pointwise}``, the ``fun`` of :func:`svenfit.least_squares`.
    grid : Tensor
        Evaluation points, shape (N, d); ``grid_shape`` reshapes values for plotting.
    reference : Tensor
        The known solution at ``grid``.
    box : Box
        The domain.
    """

    name: str
    model: torch.nn.Module
    conditions: Callable[[object], dict]
    grid: torch.Tensor
    grid_shape: tuple[int, ...]
    reference: torch.Tensor
    box: Box

    def prediction(self, model: torch.nn.Module | None = None) -> torch.Tensor:
        """The network's values on the grid."""
        with torch.no_grad():
            return (model or self.model)(self.grid).reshape(-1)

    def error(self, model: torch.nn.Module | None = None) -> float:
        """Relative L2 error of the network against the reference on the grid."""
        return relative_l2(self.prediction(model), self.reference)


def poisson_2d(*, interior: int = 900, boundary: int = 120, width: int = 64, seed: int = 0) -> PINNProblem:
    """−Δu = 2π² sin πx sin πy on [0,1]², u = 0 on the boundary; u = sin πx sin πy."""
    box = Box([0.0, 0.0], [1.0, 1.0], names=("x", "y"))
    inside, edge = box.interior(interior, seed=seed), box.boundary(boundary, seed=seed)
    equation = lambda u, x: -laplacian(u)(x) - poisson_2d_source(x)  # noqa: E731
    grid, shape = box.grid(101)

    def conditions(model):
        return {"pde": c.residual(equation, inside), "boundary": c.dirichlet(edge, 0.0)}

    return PINNProblem("2-D Poisson", mlp([2, width, 1], seed=seed), conditions, grid, shape,
                       poisson_2d_solution(grid), box)


def heat_1d(*, interior: int = 900, boundary: int = 120, width: int = 64, kappa: float = 0.25,
            seed: int = 0) -> PINNProblem:
    """u_t = κ u_xx on t, x ∈ [0,1], u(0,x) = sin πx, u(t,0) = u(t,1) = 0; u = e^{−κπ²t} sin πx."""
    box = Box([0.0, 0.0], [1.0, 1.0], names=("t", "x"))
    inside = box.interior(interior, seed=seed)
    faces = box.boundary_by_face(boundary, seed=seed, faces=[("t", "lower"), ("x", "lower"), ("x", "upper")])
    start = faces[box.face(("t", "lower"))]
    walls = torch.cat([faces[box.face(("x", "lower"))], faces[box.face(("x", "upper"))]])
    equation = lambda u, x: partial(u, 0)(x) - kappa * partial(u, 1, 1)(x)  # noqa: E731
    grid, shape = box.grid(101)

    def conditions(model):
        return {"pde": c.residual(equation, inside), "initial": c.initial(start, lambda x: torch.sin(np.pi * x[1])),
                "boundary": c.dirichlet(walls, 0.0)}

    return PINNProblem("1+1-D heat", mlp([2, width, 1], seed=seed), conditions, grid, shape,
                       heat_1d_solution(grid, kappa), box)


def burgers(*, interior: int = 8000, boundary: int = 400, widths: Sequence[int] = (2, 20, 20, 20, 1),
            nu: float = BURGERS_NU, seed: int = 0) -> PINNProblem:
    """u_t + u u_x = ν u_xx on x ∈ [−1,1], t ∈ [0,1], u(0,x) = −sin πx, u(t,±1) = 0 (Raissi et al.)."""
    box = Box([0.0, -1.0], [1.0, 1.0], names=("t", "x"))
    inside = box.interior(interior, seed=seed)
    faces = box.boundary_by_face(boundary, seed=seed, faces=[("t", "lower"), ("x", "lower"), ("x", "upper")])
    start = faces[box.face(("t", "lower"))]
    walls = torch.cat([faces[box.face(("x", "lower"))], faces[box.face(("x", "upper"))]])

    def equation(u, x):
        value, u_t, u_x, u_xx = derivatives(u, (), (0,), (1,), (1, 1))(x)
        return u_t + value * u_x - nu * u_xx

    grid, shape = box.grid((101, 201))
    reference = torch.as_tensor(burgers_solution(grid[:, 0].numpy(), grid[:, 1].numpy(), nu))

    def conditions(model):
        return {"pde": c.residual(equation, inside), "initial": c.initial(start, lambda x: -torch.sin(np.pi * x[1])),
                "boundary": c.dirichlet(walls, 0.0)}

    return PINNProblem("viscous Burgers", mlp(list(widths), seed=seed), conditions, grid, shape, reference, box)
