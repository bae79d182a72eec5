"""A simultaneous fit: a signal region and a control region share the peak position and width,
and an external calibration constrains the width. Sven and Minuit side by side.

Run: python examples/simultaneous_fit.py
"""

import numpy as np

from svenfit.hep.fit import HEPFit
from svenfit.hep.histogram import BinnedData
from svenfit.hep.models import Exponential, Gaussian
from svenfit.hep.terms import BinnedLikelihood, Constraint


def main(events: int = 3000):
    rng = np.random.default_rng(11)
    signal = BinnedData.from_values(rng.normal(5.0, 0.5, events), bins=30, range=(2.0, 8.0))
    control = BinnedData.from_values(np.concatenate([rng.normal(5.0, 0.5, events // 8), rng.uniform(2, 8, events)]),
                                     bins=30, range=(2.0, 8.0))
    peak = Gaussian(mu="mu", sigma="sigma")
    fit = HEPFit({"signal region": BinnedLikelihood(signal, "n_signal_region" * peak),
                  "control region": BinnedLikelihood(control, "n_control" * peak + "n_background" * Exponential(slope="k")),
                  "width calibration": Constraint(["sigma"], [0.5], [0.02])},
                 start=dict(n_signal_region=2500, mu=4.8, sigma=0.6, n_control=300, n_background=1500, k=0.0),
                 limits=dict(n_signal_region=(0, None), n_control=(0, None), n_background=(0, None), sigma=(0.05, 3)))
    comparison = fit.compare()
    print(comparison.sven_result)
    print()
    print(comparison)
    return comparison


if __name__ == "__main__":
    main()
