"""Viscous Burgers u_t + u u_x = (0.01/π) u_xx on x ∈ [−1,1], t ∈ [0,1], u(0,x) = −sin πx, u(t,±1) = 0
(the Raissi et al. benchmark), against the Cole–Hopf reference solution.
Run:  python examples/pinn_burgers.py [seconds] [output folder]
"""

import sys

from svenfit.pde.problems import burgers
from svenfit.pde.solve import solve

if __name__ == "__main__":
    solve(burgers(), float(sys.argv[1]) if len(sys.argv) > 1 else 120.0,
          sys.argv[2] if len(sys.argv) > 2 else "pinn-burgers")
