"""Quick start: a decay curve with a Gaussian prior, as named conditions.

Run: python examples/quickstart.py
"""

import numpy as np
import torch

import svenfit


def main() -> svenfit.FitResult:
    rng = np.random.default_rng(42)
    x = torch.linspace(0.0, 4.0, 50, dtype=torch.float64)
    sigma = torch.full_like(x, 0.02)
    y = 1.5 * torch.exp(-0.7 * x) + 0.1 + sigma * torch.as_tensor(rng.standard_normal(50))

    def conditions(p, x, y, sigma):
        a, b, c = p
        return {
            "data": (a * torch.exp(-b * x) + c - y) / sigma,  # one row per point
            "c prior": (c - 0.10) / 0.02,  # a Gaussian constraint
        }

    res = svenfit.least_squares(conditions, x0=[1.0, 0.5, 0.1], args=(x, y, sigma), names=["a", "b", "c"],
                                bounds=([0, 0, -1], [10, 5, 1]))
    print(res)
    print("\nerrors:", dict(zip(res.names, res.errors.round(5))))
    print("per-condition leverage:", {k: round(v.leverage, 3) for k, v in res.conditions.items()})
    return res


if __name__ == "__main__":
    main()
