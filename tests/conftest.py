import numpy as np
import pytest
import torch
from hypothesis import settings

# Property tests draw the same examples on every run, so the suite is deterministic.
settings.register_profile("deterministic", derandomize=True)
settings.load_profile("deterministic")


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def decay_data():
    """A noisy exponential decay with known errors (seeded)."""
    rng = np.random.default_rng(7)
    x = np.linspace(0.0, 4.0, 50)
    sigma = np.full_like(x, 0.02)
    y = 1.5 * np.exp(-0.7 * x) + 0.1 + sigma * rng.standard_normal(x.size)
    return x, y, sigma
