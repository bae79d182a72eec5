"""A template fit with Barlow–Beeston-lite nuisances (one per bin), Sven against Minuit.

Run: python examples/template_fit.py [bins]   (the benchmark uses 4 processes × 200 bins)
"""

import sys

from svenfit.hep.toys import template_fit


def main(bins: int = 200, processes: int = 4):
    fit, truth = template_fit(n_bins=bins, n_processes=processes)
    comparison = fit.compare()
    result = comparison.sven_result
    print(f"{len(fit.names)} parameters; true yields {truth}")
    for name in truth:
        i = fit.names.index(name)
        print(f"  {name}: {result.x[i]:.1f} ± {result.errors[i]:.1f}")
    print(comparison.summary()[0])
    print(comparison.summary()[1])
    return comparison


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:2]))
