"""2-D Poisson with a physics-informed network: −Δu = 2π² sin πx sin πy on [0,1]², u = 0 on the boundary.

A tanh network 2→64→1 (257 parameters), 900 Sobol interior and 120 boundary points, float64, fitted with
Sven. Run:  python examples/pinn_poisson.py [seconds] [output folder]
"""

import sys

from svenfit.pde.problems import poisson_2d
from svenfit.pde.solve import solve

if __name__ == "__main__":
    solve(poisson_2d(), float(sys.argv[1]) if len(sys.argv) > 1 else 60.0,
          sys.argv[2] if len(sys.argv) > 2 else "pinn-poisson")
