"""The svenfit command: demo and fit on the bundled ROOT file."""

import json

import pytest

from svenfit.cli import main
from svenfit.hep.io import data_file


def test_demo_writes_plots_and_a_report_and_agrees(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Sven and Minuit agree" in out and "500 events" in out
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["comparison"]["agrees"] is True
    assert set(report["plots"]) == {"fit", "parameters", "diagnostics", "correlation"}


def test_fit_verb_on_a_root_file(tmp_path, capsys):
    code = main(["fit", str(data_file()), "--tree", "events", "--expr", "M", "--cut", "(Type == 'GG')",
                 "--model", "gaussian+exponential", "--range", "70", "110", "--bins", "40", "--out", str(tmp_path)])
    assert code == 0
    assert "minuit" in capsys.readouterr().out
    assert (tmp_path / "fit.png").exists()


def test_fit_verb_names_a_missing_branch(tmp_path):
    with pytest.raises(KeyError, match="Mass"):
        main(["fit", str(data_file()), "--tree", "events", "--expr", "Mass", "--range", "70", "110",
              "--out", str(tmp_path)])
