"""The Z → μμ peak from the bundled CMS ROOT file, fitted with Sven and with Minuit side by side.

Run: python examples/zpeak.py [output folder]
"""

import sys
from pathlib import Path

from svenfit.hep.histogram import BinnedData
from svenfit.hep.io import zmumu_masses
from svenfit.hep.peak import Z_WIDTH, peak_fit, report


def main(out: str = "zpeak-output", bins: int = 60):
    masses = zmumu_masses()  # one dimuon mass per event (the file repeats events per muon type)
    data = BinnedData.from_values(masses, bins=bins, range=(60.0, 120.0), name="dimuon mass")
    fit = peak_fit(data, "voigt+exponential", fixed={"width": Z_WIDTH})  # PDG width, fit the resolution
    comparison = fit.compare()
    print(comparison)
    report(fit, comparison, Path(out), xlabel="dimuon mass [GeV]")
    return comparison


if __name__ == "__main__":
    main(*sys.argv[1:2])
