"""Every example runs (at small size) and reaches the answer it claims."""

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
sys.path.insert(0, str(EXAMPLES))


def _load(name):
    return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name="example")


def test_quickstart():
    res = _load("quickstart")["main"]()
    assert res.success and res.names == ["a", "b", "c"]
    assert abs(sum(c.leverage for c in res.conditions.values()) - 3) < 1e-9


def test_zpeak(tmp_path):
    comparison = _load("zpeak")["main"](str(tmp_path), bins=60)
    assert comparison.agrees()
    for name in ("fit.png", "parameters.png", "diagnostics.png", "correlation.png", "report.json", "sven_result.json"):
        assert (tmp_path / name).stat().st_size > 1000


def test_template_fit_small():
    comparison = _load("template_fit")["main"](bins=15, processes=3)
    assert comparison.agrees(sigma=0.05, errors=0.02, fval=1e-4 / comparison.minuit_fval)


def test_simultaneous_fit_shares_parameters_and_agrees_with_minuit():
    comparison = _load("simultaneous_fit")["main"](events=2000)
    assert comparison.agrees()
    assert np.all(np.isfinite(comparison.sven_errors))
    result = comparison.sven_result
    assert set(result.conditions) == {"signal region", "control region", "width calibration"}
    assert abs(sum(c.leverage for c in result.conditions.values()) - result.rank) < 1e-9


@pytest.mark.parametrize("name", ["pinn_poisson", "pinn_heat", "pinn_burgers"])
def test_pinn_examples_run_briefly(name, tmp_path):
    import subprocess
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), "2", str(tmp_path)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "relative L2 error" in done.stdout
    assert (tmp_path / "solution.png").stat().st_size > 5000 and (tmp_path / "loss.png").exists()
