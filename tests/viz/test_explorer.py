"""regression_explorer: the course notes' interactive line fit as a standalone page, checked as
HTML (sliders, least-squares values equal to numpy.polyfit's, plotly.js beside it, no CDN) and in
real headless Chromium (moving a slider moves the line and the MSE, with no console errors)."""

import json
import os
import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from headless_chromium import FLAGS, _page_socket, _Session, chromium_path

import glassgrad
from glassgrad.viz import regression_explorer
from glassgrad.viz.explorer import explorer_figure, least_squares, slider_range


def seeds_data():
    """The notes' data: 50 points of y = 2x + 5 plus noise (std 2), x uniform in [-10, 10]."""
    np.random.seed(42)
    x = np.random.uniform(-10, 10, 50)
    return x, 2.0 * x + 5.0 + np.random.normal(0, 2.0, 50)


def slider(page, name):
    match = re.search(rf"<input type='range' id='[\w-]+-{name}' min='([^']+)' max='([^']+)' "
                      rf"step='([^']+)' value='([^']+)'", page)
    return tuple(float(v) for v in match.groups())


def test_the_page_its_sliders_and_the_least_squares_values(tmp_path):
    x, y = seeds_data()
    path = regression_explorer(x, y, str(tmp_path / "explorer.html"))
    assert path == str(tmp_path / "explorer.html")
    page = open(path).read()
    assert (tmp_path / "plotly.min.js").stat().st_size > 1_000_000
    assert "<script src='plotly.min.js'></script>" in page and "cdn" not in page.lower()
    assert slider(page, "w") == (-5.0, 5.0, 0.01, 0.0)        # the notes' own w slider range
    lo, hi, step, b0 = slider(page, "b")
    assert lo < 4.97 < hi and step <= 0.05 and b0 == pytest.approx(y.mean(), abs=step)
    w, b = np.polyfit(x, y, 1)
    best = {k: float(re.search(rf"class='best-{k}'>([^<]+)<", page).group(1))
            for k in ("w", "b", "mse")}
    assert best["w"] == pytest.approx(w, rel=1e-5) and best["b"] == pytest.approx(b, rel=1e-5)
    assert best["mse"] == pytest.approx(np.mean((w * x + b - y) ** 2), rel=1e-5)
    assert "Plotly.react" in page and "Plotly.newPlot" in page


def test_least_squares_equals_polyfit_and_tensors_are_accepted():
    rng = np.random.default_rng(0)
    x = rng.normal(3, 2, 30)
    y = -0.7 * x + 12 + rng.normal(0, 0.5, 30)
    w, b, mse = least_squares(glassgrad.tensor(x, dtype=glassgrad.float64), y.tolist())
    assert (w, b) == pytest.approx(tuple(np.polyfit(x, y, 1)), rel=1e-9)
    assert mse == pytest.approx(np.mean((np.polyval(np.polyfit(x, y, 1), x) - y) ** 2))


def test_the_figure_holds_points_line_residuals_and_mse():
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.0, 5.0, 8.0])
    figure = explorer_figure(x, y, w=1.0, b=0.5)
    points, line, residuals, fitted, best = figure.data
    assert list(points.x) == list(x) and list(points.y) == list(y)
    assert list(line.y) == pytest.approx([1.0 * v + 0.5 for v in line.x])
    assert list(residuals.y) == [1.0, 0.5, None, 3.0, 1.5, None, 5.0, 2.5, None, 8.0, 3.5, None]
    assert list(fitted.y) == [0.5, 1.5, 2.5, 3.5]
    mse = np.mean((x + 0.5 - y) ** 2)
    assert f"MSE = {mse:.4f}" in figure.layout.annotations[0].text
    assert best.visible == "legendonly"


def test_without_a_path_a_fragment_for_write_page_and_given_start_values():
    x, y = seeds_data()
    fragment = regression_explorer(x, y, w=1.78, b=6.2)
    assert fragment.startswith("<div class='figure'>") and "<html" not in fragment
    assert slider(fragment, "w")[3] == 1.78 and slider(fragment, "b")[3] == 6.2


def test_bad_data_and_slider_ranges():
    with pytest.raises(ValueError, match="same number"):
        regression_explorer([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="every x is the same"):
        regression_explorer([1, 1, 1], [1, 2, 3])
    with pytest.raises(ValueError, match="finite"):
        regression_explorer([1, 2, np.nan], [1, 2, 3])
    assert slider_range(0.0, 4.1) == (-5.0, 5.0, 0.01)
    assert slider_range(100.0, 3e-4) == (99.9997, 100.0003, 1e-6)   # rounded to 100 steps


def run_in_chromium(path, script):
    """Open ``path`` in headless Chromium, run ``script`` (JS returning JSON) and return
    (its value, the console problems)."""
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    process = subprocess.Popen([chromium_path(), *FLAGS, f"--user-data-dir={profile}",
                                "about:blank"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        import websocket

        socket = websocket.create_connection(_page_socket(profile, 60), timeout=60,
                                             suppress_origin=True)
        session = _Session(socket)
        for domain in ("Runtime", "Log", "Page"):
            session.call(f"{domain}.enable")
        session.call("Page.navigate", url=f"file://{os.path.abspath(path)}")
        session.wait_for("Page.loadEventFired", 60)
        session.drain(1.0)
        result = session.call("Runtime.evaluate", expression=script, awaitPromise=True)
        session.drain(0.5)
        socket.close()
        return json.loads(result["result"]["value"]), session.problems
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(profile, ignore_errors=True)


MOVE_SLIDERS = """(async () => {
  const w = document.querySelector("input[id$='-w']");
  const b = document.querySelector("input[id$='-b']");
  const gd = document.querySelector('.plotly-graph-div');
  const read = () => ({mse: document.querySelector("b[id$='-mse']").textContent,
                       line: Array.from(gd.data[1].y), fitted: Array.from(gd.data[3].y),
                       note: gd.layout.annotations[0].text,
                       rendered: !!gd.querySelector('.main-svg')});
  const before = read();
  w.value = 2; w.dispatchEvent(new Event('input'));
  b.value = 5; b.dispatchEvent(new Event('input'));
  await new Promise(r => setTimeout(r, 200));
  const moved = read();
  document.querySelector("button[id$='-best']").click();
  await new Promise(r => setTimeout(r, 200));
  return JSON.stringify({before, moved, best: read(), lx: Array.from(gd.data[1].x),
                         w: w.value, b: b.value});
})()"""


def test_the_sliders_move_the_line_and_the_mse_in_chromium(tmp_path):
    if chromium_path() is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Chromium for the explorer test (Debian package 'chromium')")
        pytest.skip("no Chromium installed (apt-get install chromium); CI installs it")
    x, y = seeds_data()
    path = regression_explorer(x, y, str(tmp_path / "explorer.html"))
    state, problems = run_in_chromium(path, MOVE_SLIDERS)
    assert problems == []
    before, moved, best = state["before"], state["moved"], state["best"]
    assert before["rendered"] and float(before["mse"]) == pytest.approx(
        np.mean((y.mean() - y) ** 2), abs=0.01)
    assert float(moved["mse"]) == pytest.approx(np.mean((2 * x + 5 - y) ** 2), abs=1e-4)
    assert moved["line"] == pytest.approx([2 * v + 5 for v in state["lx"]])
    assert moved["fitted"] == pytest.approx(list(2 * x + 5))
    assert f"MSE = {np.mean((2 * x + 5 - y) ** 2):.4f}" in moved["note"]
    w, b = np.polyfit(x, y, 1)
    assert float(state["w"]) == pytest.approx(w, abs=0.005)
    assert float(state["b"]) == pytest.approx(b, abs=0.025)
    assert float(best["mse"]) == pytest.approx(np.mean((w * x + b - y) ** 2), abs=0.01)
