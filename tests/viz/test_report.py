"""The run report: built by `glassgrad train`, rebuilt by `glassgrad report`, and opened in real
headless Chromium (no console errors, every figure rendered, a screenshot kept)."""

import json
import os

import pytest
from headless_chromium import chromium_path, open_page

from glassgrad.cli import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.environ.get("GLASSGRAD_ARTIFACTS", os.path.join(ROOT, "test-artifacts"))


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """A small MLP on iris: every section of the report, the network picture included."""
    run = tmp_path_factory.mktemp("runs") / "iris"
    assert main(["train", "--data", "iris", "--hidden", "8", "--epochs", "25", "--quiet",
                 "--out", str(run)]) == 0
    return run


def test_train_writes_the_report_with_every_section(iris_run):
    page = (iris_run / "report.html").read_text()
    assert (iris_run / "plotly.min.js").exists()
    assert "<script src='plotly.min.js'></script>" in page and "cdn" not in page.lower()
    for heading in ("The run", "Test metrics", "Learning curves", "Test set", "Training health",
                    "Weights and gradients over the epochs", "The network, epoch by epoch"):
        assert f">{heading}</h" in page, heading
    results = json.loads((iris_run / "results.json").read_text())
    assert f"{results['test']['accuracy']:.4f}" in page
    assert "Confusion matrix on the test set" in page


def test_report_command_rebuilds_it(iris_run, capsys):
    (iris_run / "report.html").unlink()
    assert main(["report", str(iris_run)]) == 0
    assert (iris_run / "report.html").exists()
    assert "wrote" in capsys.readouterr().out


def test_report_of_a_regression_run_and_of_a_wide_network(tmp_path, capsys):
    run = tmp_path / "diabetes"
    assert main(["train", "--data", "diabetes", "--epochs", "5", "--quiet", "--out",
                 str(run)]) == 0
    page = (run / "report.html").read_text()
    assert "Predicted against true target" in page
    assert "The network picture is drawn for MLPs of at most 24 units" in page
    assert main(["report", str(tmp_path)]) == 2
    assert "not a glassgrad run folder" in capsys.readouterr().err


def test_the_report_renders_in_headless_chromium(iris_run):
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium for the report test (Debian package 'chromium')")
        pytest.skip("no Chromium installed (apt-get install chromium); CI installs it")
    screenshot = os.path.join(ARTIFACTS, "report.png")
    page = open_page(str(iris_run / "report.html"), screenshot=screenshot)
    assert page.problems == []
    assert page.figures >= 5
    assert page.rendered == page.figures
    assert page.title.startswith("glassgrad run")
    assert os.path.getsize(screenshot) > 20_000
