"""1+1-D heat equation u_t = u_xx / 4 on t, x ∈ [0,1], u(0,x) = sin πx, u(t,0) = u(t,1) = 0, with a
physics-informed network 2→64→1 and 900 interior + 120 initial/boundary points.
Run:  python examples/pinn_heat.py [seconds] [output folder]
"""

import sys

from svenfit.pde.problems import heat_1d
from svenfit.pde.solve import solve

if __name__ == "__main__":
    solve(heat_1d(), float(sys.argv[1]) if len(sys.argv) > 1 else 60.0, sys.argv[2] if len(sys.argv) > 2 else "pinn-heat")
