"""The ``svenfit`` command: ``demo``, ``fit`` and ``bench``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np


def _demo(args: argparse.Namespace) -> int:
    from .hep.histogram import BinnedData
    from .hep.io import data_file, zmumu_masses
    from .hep.peak import Z_WIDTH, peak_fit, report

    started = time.perf_counter()
    path = data_file()
    masses = zmumu_masses(path)
    data = BinnedData.from_values(masses, bins=60, range=(60.0, 120.0), name="dimuon mass")
    print(f"Z → μμ: {masses.size} events (one per event) from {path}; {int(data.total)} in 60–120 GeV, 60 bins")
    fit = peak_fit(data, "voigt+exponential", fixed={"width": Z_WIDTH})
    comparison = fit.compare()
    print(comparison.sven_result)
    print()
    print(comparison)
    files = report(fit, comparison, Path(args.out), xlabel="dimuon mass [GeV]")
    print(f"\nwrote {', '.join(str(p) for p in files.values())}")
    print(f"demo finished in {time.perf_counter() - started:.1f} s: Sven and Minuit "
          f"{'agree' if comparison.agrees() else 'DISAGREE'}")
    return 0 if comparison.agrees() else 1


def _fit(args: argparse.Namespace) -> int:
    from .hep.histogram import BinnedData
    from .hep.io import read_tree
    from .hep.peak import peak_fit, report

    values = read_tree(args.file, args.tree, [args.expr], cut=args.cut)[args.expr]
    lo, hi = args.range
    data = BinnedData.from_values(np.asarray(values, dtype=float), bins=args.bins, range=(lo, hi), name=args.expr)
    fixed = dict(item.split("=") for item in args.fix)
    fit = peak_fit(data, args.model, fixed={k: float(v) for k, v in fixed.items()})
    comparison = fit.compare(minos=args.minos)
    print(comparison.sven_result)
    print()
    print(comparison)
    files = report(fit, comparison, Path(args.out), xlabel=args.expr)
    print(f"\nwrote {', '.join(str(p) for p in files.values())}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from .bench import core, hep, pinn
    suites = {"core": core.run, "hep": hep.run, "pinn": pinn.run}
    print(suites[args.suite]())
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``svenfit`` console command."""
    parser = argparse.ArgumentParser(prog="svenfit", description="Multi-condition fits with Sven, compared with Minuit.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    demo = verbs.add_parser("demo", help="fit the bundled CMS Z→μμ peak with Sven and Minuit and compare")
    demo.add_argument("--out", default="svenfit-demo", help="folder for the plots and the JSON report")
    demo.set_defaults(run=_demo)
    fit = verbs.add_parser("fit", help="fit a peak in a ROOT file with Sven and Minuit and compare")
    fit.add_argument("file")
    fit.add_argument("--tree", required=True)
    fit.add_argument("--expr", required=True, help="branch or expression to histogram")
    fit.add_argument("--cut", default=None)
    fit.add_argument("--model", default="voigt+exponential",
                     help="signal+background: gaussian|voigt|breitwigner|crystalball + exponential|bernsteinN|chebyshevN|none")
    fit.add_argument("--range", nargs=2, type=float, required=True, metavar=("LOW", "HIGH"))
    fit.add_argument("--bins", type=int, default=50)
    fit.add_argument("--fix", nargs="*", default=[], metavar="NAME=VALUE", help="parameters to hold fixed")
    fit.add_argument("--minos", action="store_true")
    fit.add_argument("--out", default="svenfit-output")
    fit.set_defaults(run=_fit)
    bench = verbs.add_parser("bench", help="run a benchmark suite and write docs/benchmarks.md")
    bench.add_argument("suite", choices=["core", "hep", "pinn"])
    bench.set_defaults(run=_bench)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
