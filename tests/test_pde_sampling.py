"""Tests for svenfit.pde.sampling.Box."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy.stats import qmc

from svenfit.pde.sampling import Box, Face

METHODS = ("sobol", "uniform", "grid")
BOXES = [
    Box([-1.0], [2.0]),
    Box([0.0, -1.0], [1.0, 1.0], names=("t", "x")),
    Box([0.0, 0.0, -2.0], [1.0, 3.0, 2.0], names=("t", "x", "y")),
]


def inside(box: Box, points: torch.Tensor) -> bool:
    lower = torch.tensor(box.lower, dtype=torch.float64)
    upper = torch.tensor(box.upper, dtype=torch.float64)
    return bool(((points >= lower) & (points <= upper)).all())


@pytest.mark.parametrize("box", BOXES, ids=lambda b: f"{b.dim}d")
@pytest.mark.parametrize("method", METHODS)
def test_interior_shape_dtype_and_inside(box, method):
    points = box.interior(100, method=method, seed=0)
    assert points.dtype == torch.float64
    assert points.shape[1] == box.dim
    if method == "grid":
        assert 0.5 * 100 <= points.shape[0] <= 2 * 100
    else:
        assert points.shape[0] == 100
    assert inside(box, points)


def test_grid_interior_is_cell_centred_with_equal_spacing():
    box = Box([0.0, -1.0], [1.0, 1.0])
    points = box.interior(200, method="grid")
    t_values, x_values = (torch.unique(points[:, i]) for i in range(2))
    assert points.shape[0] == len(t_values) * len(x_values) == 200  # 10 x 20
    torch.testing.assert_close(t_values, (torch.arange(10, dtype=torch.float64) + 0.5) / 10)
    torch.testing.assert_close(torch.diff(x_values), torch.full((19,), 0.1, dtype=torch.float64))


@pytest.mark.parametrize("box", BOXES, ids=lambda b: f"{b.dim}d")
@pytest.mark.parametrize("method", METHODS)
def test_boundary_points_lie_on_their_faces(box, method):
    by_face = box.boundary_by_face(120, method=method, seed=1)
    assert list(by_face) == list(box.faces)
    for (name, side), points in by_face.items():
        i = box.names.index(name)
        bound = box.lower[i] if side == "lower" else box.upper[i]
        assert torch.all(points[:, i] == bound)
        assert inside(box, points)
    torch.testing.assert_close(box.boundary(120, method=method, seed=1), torch.cat(list(by_face.values())))


def test_boundary_counts_proportional_to_face_area():
    box = Box([0.0, 0.0], [1.0, 3.0], names=("x", "y"))
    counts = {face: len(p) for face, p in box.boundary_by_face(800, seed=0).items()}
    # faces x = const have length 3, faces y = const length 1
    assert counts == {("x", "lower"): 300, ("x", "upper"): 300, ("y", "lower"): 100, ("y", "upper"): 100}
    assert sum(len(p) for p in box.boundary_by_face(7, seed=0).values()) == 7


def test_boundary_counts_3d():
    box = Box([0.0, 0.0, 0.0], [1.0, 2.0, 4.0])
    counts = [len(p) for p in box.boundary_by_face(2800, method="uniform", seed=0).values()]
    assert counts == [800, 800, 400, 400, 200, 200]  # areas 8, 8, 4, 4, 2, 2


def test_boundary_1d_is_the_two_end_points():
    box = Box([-1.0], [2.0])
    torch.testing.assert_close(box.boundary(2), torch.tensor([[-1.0], [2.0]], dtype=torch.float64))
    assert box.boundary(6, method="uniform").squeeze(1).tolist() == [-1.0] * 3 + [2.0] * 3


def test_face_selection_by_name_or_index():
    box = BOXES[2]
    selected = box.boundary_by_face(90, seed=0, faces=[("y", "upper"), (1, "lower")])
    assert list(selected) == [Face("x", "lower"), Face("y", "upper")]  # order of box.faces
    assert [len(p) for p in selected.values()] == [51, 39]  # areas 1 x 4 and 1 x 3


def test_face_selection_errors():
    box = BOXES[1]
    with pytest.raises(KeyError):
        box.boundary(10, faces=[("z", "lower")])
    with pytest.raises(IndexError):
        box.boundary(10, faces=[(2, "lower")])
    with pytest.raises(ValueError):
        box.boundary(10, faces=[("x", "left")])
    with pytest.raises(ValueError):
        box.boundary(10, faces=[("x", "lower"), (1, "lower")])
    with pytest.raises(ValueError):
        box.boundary(10, faces=[])


def test_outward_normals():
    box = BOXES[2]
    centre = (torch.tensor(box.lower) + torch.tensor(box.upper)).double() / 2
    for face, points in box.boundary_by_face(60, seed=0).items():
        normal = box.normal(face)
        assert normal.dtype == torch.float64 and normal.abs().sum() == 1.0
        assert torch.all((points - centre) @ normal > 0)
    torch.testing.assert_close(box.normal(("t", "lower")), torch.tensor([-1.0, 0.0, 0.0], dtype=torch.float64))


@pytest.mark.parametrize("method", METHODS)
def test_initial_and_slice(method):
    box = Box([0.0, -1.0, 0.0], [2.0, 1.0, 1.0], names=("t", "x", "y"))
    initial = box.initial(50, method=method, seed=0)
    assert torch.all(initial[:, 0] == 0.0) and inside(box, initial)
    torch.testing.assert_close(initial, box.slice("t", 0.0, 50, method=method, seed=0))
    sliced = box.slice("x", 0.25, 50, method=method, seed=0)
    assert torch.all(sliced[:, 1] == 0.25) and inside(box, sliced)
    last = Box([-1.0, 0.0], [1.0, 1.0], names=("x", "t")).initial(8, time_dim="t", seed=0)
    assert torch.all(last[:, 1] == 0.0)
    with pytest.raises(ValueError):
        box.slice("x", 1.5, 10)


def test_grid_points_and_shape():
    box = Box([0.0, -1.0], [1.0, 1.0], names=("t", "x"))
    points, shape = box.grid((3, 5))
    assert shape == (3, 5) and points.shape == (15, 2) and points.dtype == torch.float64
    mesh = points.reshape(*shape, 2)
    torch.testing.assert_close(mesh[:, 0, 0], torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64))
    torch.testing.assert_close(mesh[0, :, 1], torch.linspace(-1, 1, 5, dtype=torch.float64))
    assert box.grid(4)[1] == (4, 4)
    with pytest.raises(ValueError):
        box.grid((3, 4, 5))


@pytest.mark.parametrize("method", ["sobol", "uniform"])
def test_seed_reproducibility(method):
    box = BOXES[2]
    for sample in (box.interior, box.boundary, box.initial):
        torch.testing.assert_close(sample(64, method=method, seed=7), sample(64, method=method, seed=7))
        assert not torch.equal(sample(64, method=method, seed=7), sample(64, method=method, seed=8))
        assert not torch.equal(sample(64, method=method), sample(64, method=method))


def test_generator_seed_advances_and_is_reproducible():
    box = BOXES[1]
    gen = np.random.default_rng(3)
    first, second = box.interior(16, seed=gen), box.interior(16, seed=gen)
    assert not torch.equal(first, second)
    gen = np.random.default_rng(3)
    torch.testing.assert_close(box.interior(16, seed=gen), first)


def test_sobol_has_lower_discrepancy_than_uniform():
    box = Box([0.0, -1.0], [1.0, 1.0])
    scale = lambda p: ((p - torch.tensor(box.lower)) / torch.tensor([1.0, 2.0])).numpy()  # to the unit square
    for n in (128, 300):
        for seed in range(3):
            sobol = qmc.discrepancy(scale(box.interior(n, method="sobol", seed=seed)))
            uniform = qmc.discrepancy(scale(box.interior(n, method="uniform", seed=seed)))
            assert sobol < 0.5 * uniform


def test_sobol_prefix_matches_scipy_random_without_warning():
    box = Box([0.0, 0.0], [1.0, 1.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        points = box.interior(100, seed=5)
        box.boundary(37, seed=5)
        box.initial(3, seed=5)
    assert caught == []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's balance warning for n = 100
        expected = qmc.Sobol(2, scramble=True, rng=np.random.default_rng(5)).random(100)
    np.testing.assert_array_equal(points.numpy(), expected)


def test_invalid_arguments():
    box = BOXES[1]
    with pytest.raises(ValueError):
        box.interior(0)
    with pytest.raises(ValueError):
        box.interior(10, method="halton")
    with pytest.raises(ValueError):
        Box([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(ValueError):
        Box([0.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        Box([0.0, 0.0], [1.0, 1.0], names=("x", "x"))
    assert Box([0.0, 0.0], [1.0, 1.0]).names == ("x0", "x1")
