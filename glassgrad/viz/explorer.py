"""The regression explorer: fit a line by hand with two sliders, in any browser, offline.

The course notes' interactive line fit (ipywidgets sliders in a notebook) as a standalone page:
the points, the line y = w x + b, a residual from every point to the line, and the mean squared
error, all following the sliders live (HTML range inputs and a small inline script calling
``Plotly.react``; no server, no kernel). The least-squares optimum is shown for comparison, and a
button moves the sliders there.

    MSE(w, b) = 1/N sum_i (w x_i + b - y_i)^2
    w* = cov(x, y) / var(x),    b* = mean(y) - w* mean(x)     (the least-squares line)

Example:
    >>> x = np.random.default_rng(42).uniform(-10, 10, 50)
    >>> y = 2 * x + 5 + np.random.default_rng(0).normal(0, 2, 50)
    >>> regression_explorer(x, y, "explorer.html")      # open it in a browser
    'explorer.html'
"""

import hashlib
import json
import math

import numpy as np

from ._io import figure_div, write_page

__all__ = ["regression_explorer", "explorer_figure", "least_squares", "slider_range"]

_TITLE = "Fitting a line by hand: y = w x + b"

_SCRIPT = """<script>
(function () {
  var ID = %(id)s, X = %(x)s, Y = %(y)s, LX = %(lx)s, BEST = %(best)s;
  var gd = document.getElementById(ID);
  var sw = document.getElementById(ID + "-w"), sb = document.getElementById(ID + "-b");
  function show(id, text) { document.getElementById(ID + id).textContent = text; }
  function update() {
    var w = parseFloat(sw.value), b = parseFloat(sb.value);
    var fit = [], rx = [], ry = [], sse = 0;
    for (var i = 0; i < X.length; i++) {
      fit.push(w * X[i] + b);
      var r = fit[i] - Y[i];
      sse += r * r;
      rx.push(X[i], X[i], null);
      ry.push(Y[i], fit[i], null);
    }
    var mse = sse / X.length, label = "y = " + w.toFixed(%(wd)d) + " x + " + b.toFixed(%(bd)d);
    var data = gd.data.slice();
    data[1] = Object.assign({}, data[1], {y: LX.map(function (x) { return w * x + b; }),
                                          name: label});
    data[2] = Object.assign({}, data[2], {x: rx, y: ry});
    data[3] = Object.assign({}, data[3], {y: fit});
    var note = Object.assign({}, gd.layout.annotations[0],
                             {text: "MSE = " + mse.toFixed(4) + "  (least squares: " +
                                    BEST.mse.toFixed(4) + ")"});
    Plotly.react(gd, data, Object.assign({}, gd.layout, {annotations: [note]}));
    show("-wv", w.toFixed(%(wd)d));
    show("-bv", b.toFixed(%(bd)d));
    show("-mse", mse.toFixed(4));
  }
  sw.addEventListener("input", update);
  sb.addEventListener("input", update);
  document.getElementById(ID + "-best").addEventListener("click", function () {
    sw.value = BEST.w; sb.value = BEST.b; update();
  });
  document.getElementById(ID + "-reset").addEventListener("click", function () {
    sw.value = sw.defaultValue; sb.value = sb.defaultValue; update();
  });
})();
</script>"""


def least_squares(x, y):
    """The least-squares line through the points: ``(w*, b*, MSE*)`` (as ``numpy.polyfit(x, y,
    1)``): w* = cov(x, y) / var(x), b* = mean(y) - w* mean(x)."""
    x, y = _points(x, y)
    dx = x - x.mean()
    w = float(dx @ (y - y.mean()) / (dx @ dx))
    b = float(y.mean() - w * x.mean())
    return w, b, float(np.mean((w * x + b - y) ** 2))


def slider_range(center, scale, include=()):
    """``(lo, hi, step)`` for a slider: ``center +- scale`` widened to hold ``include``, rounded
    outward to a round step of about 1/1000 of the range (1, 2 or 5 times a power of ten)."""
    lo = min([center - scale, *include])
    hi = max([center + scale, *include])
    raw = (hi - lo) / 1000
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(float(f"{m * power:.1g}") for m in (1, 2, 5, 10) if m * power >= raw)
    unit = step * 100
    return (float(f"{math.floor(lo / unit) * unit:.12g}"),
            float(f"{math.ceil(hi / unit) * unit:.12g}"), step)


def _points(x, y):
    x = np.asarray(getattr(x, "_data", x), dtype=float).reshape(-1)
    y = np.asarray(getattr(y, "_data", y), dtype=float).reshape(-1)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must hold the same number (at least 2) of values, got "
                         f"{x.size} and {y.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite (no NaN or infinity)")
    if np.ptp(x) == 0:
        raise ValueError("every x is the same: no line can be fitted by least squares")
    return x, y


def _decimals(step):
    return max(0, -math.floor(math.log10(step) + 1e-9))


def _settings(x, y, w, b):
    """Slider ranges, steps and initial values (snapped to the steps)."""
    best_w, best_b, _ = least_squares(x, y)
    slope = y.std() / x.std()
    w0 = 0.0 if w is None else float(w)
    w_range = slider_range(0.0, max(2 * abs(best_w), 2 * slope), (w0,))
    b0 = float(y.mean()) if b is None else float(b)
    b_range = slider_range(float(y.mean()), 1.5 * y.std() + abs(best_w * x.mean()), (b0, best_b))
    snap = [round(lo + round((v - lo) / step) * step, _decimals(step))
            for v, (lo, _, step) in ((w0, w_range), (b0, b_range))]
    return w_range, b_range, snap[0], snap[1]


def explorer_figure(x, y, w, b, decimals=(2, 2)):
    """The explorer's plotly figure at one (w, b): points (trace 0), the line (1), the
    residuals (2), the fitted values (3), the least-squares line (4, hidden until clicked in
    the legend), and the MSE as the first annotation."""
    import plotly.graph_objects as go

    x, y = _points(x, y)
    best_w, best_b, best_mse = least_squares(x, y)
    margin = 0.05 * np.ptp(x)
    lx = [float(x.min() - margin), float(x.max() + margin)]
    fit = w * x + b
    rx = [v for xi in x for v in (float(xi), float(xi), None)]
    ry = [v for yi, fi in zip(y, fit) for v in (float(yi), float(fi), None)]
    figure = go.Figure([
        go.Scatter(x=x.tolist(), y=y.tolist(), mode="markers", name="data",
                   marker=dict(color="#1f77b4", size=8, opacity=0.75)),
        go.Scatter(x=lx, y=[w * v + b for v in lx], mode="lines",
                   name=f"y = {w:.{decimals[0]}f} x + {b:.{decimals[1]}f}",
                   line=dict(color="#d62728", width=3)),
        go.Scatter(x=rx, y=ry, mode="lines", name="residuals", hoverinfo="skip",
                   line=dict(color="gray", width=1, dash="dot")),
        go.Scatter(x=x.tolist(), y=fit.tolist(), mode="markers", name="fitted values",
                   hoverinfo="skip", showlegend=False,
                   marker=dict(color="#2ca02c", size=5, opacity=0.7)),
        go.Scatter(x=lx, y=[best_w * v + best_b for v in lx], mode="lines",
                   name=f"least squares: y = {best_w:.4g} x + {best_b:.4g}", visible="legendonly",
                   line=dict(color="black", width=2, dash="dash")),
    ])
    mse = float(np.mean((fit - y) ** 2))
    pad = 0.15 * np.ptp(y) + 1e-9
    figure.update_layout(
        template="plotly_white", height=560, hovermode="closest", uirevision="explorer",
        xaxis=dict(title="x", range=lx), yaxis=dict(title="y", range=[y.min() - pad,
                                                                       y.max() + pad]),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        margin=dict(l=50, r=20, t=80, b=50),
        annotations=[dict(x=0.01, y=0.99, xref="paper", yref="paper", showarrow=False,
                          xanchor="left", yanchor="top", bgcolor="#fff3b0", bordercolor="#333",
                          borderwidth=1, borderpad=4,
                          text=f"MSE = {mse:.4f}  (least squares: {best_mse:.4f})")])
    return figure


def regression_explorer(x, y, path=None, w=None, b=None):
    """An interactive line fit: sliders for w and b, the line, residuals and MSE following live.

    Slider ranges come from the data: w in a round range around 0 that holds twice the
    least-squares slope and twice std(y)/std(x); b around mean(y), holding b*; steps of about
    1/1000 of each range. The page works offline: plotly.min.js is written beside it.

    Args:
        x, y (array-like or Tensor): the points (the same number, at least 2, x not constant).
        path (str, optional): the .html file to write. Without it, the explorer is returned as
            an HTML fragment (its figure, sliders and script) for a page that already loads
            ``plotly.min.js``, such as a ``write_page`` section.
        w, b (float, optional): initial slope and intercept (default 0 and mean(y)).

    Returns:
        str: ``path``, or the HTML fragment when ``path`` is None.

    Example:
        >>> regression_explorer([0, 1, 2, 3], [1, 3, 5, 7], "line.html")   # w* = 2, b* = 1
        'line.html'
    """
    x, y = _points(x, y)
    (wlo, whi, wstep), (blo, bhi, bstep), w0, b0 = _settings(x, y, w, b)
    best_w, best_b, best_mse = least_squares(x, y)
    digest = hashlib.sha1(np.concatenate([x, y, [w0, b0]]).tobytes()).hexdigest()[:10]
    uid = f"explorer-{digest}"
    wd, bd = _decimals(wstep), _decimals(bstep)
    figure = explorer_figure(x, y, w0, b0, (wd, bd))
    mse = float(np.mean((w0 * x + b0 - y) ** 2))

    def slider(name, lo, hi, step, value, decimals, label):
        return (f"<label style='display:block;margin:0.4rem 0'>{label} "
                f"<input type='range' id='{uid}-{name}' min='{lo}' max='{hi}' step='{step}' "
                f"value='{value}' style='width:60%;vertical-align:middle'> "
                f"<output id='{uid}-{name}v'>{value:.{decimals}f}</output></label>")

    controls = (
        "<div class='explorer-controls'>"
        + slider("w", wlo, whi, wstep, w0, wd, "slope <b>w</b>")
        + slider("b", blo, bhi, bstep, b0, bd, "intercept <b>b</b>")
        + f"<p>MSE = (1/N) &Sigma; (w x<sub>i</sub> + b &minus; y<sub>i</sub>)<sup>2</sup> = "
        f"<b id='{uid}-mse'>{mse:.4f}</b> over N = {x.size} points.</p>"
        f"<p>Least squares (the lowest MSE any line can reach): "
        f"w* = <span class='best-w'>{best_w:.6g}</span>, "
        f"b* = <span class='best-b'>{best_b:.6g}</span>, "
        f"MSE* = <span class='best-mse'>{best_mse:.6g}</span> "
        f"<button id='{uid}-best' type='button'>move the sliders there</button> "
        f"<button id='{uid}-reset' type='button'>back to the start</button></p></div>")
    lx = list(figure.data[1].x)
    script = _SCRIPT % {
        "id": json.dumps(uid), "x": json.dumps(x.tolist()), "y": json.dumps(y.tolist()),
        "lx": json.dumps(lx), "wd": wd, "bd": bd,
        "best": json.dumps({"w": best_w, "b": best_b, "mse": best_mse})}
    fragment = f"<div class='figure'>{figure_div(figure, div_id=uid)}</div>{controls}{script}"
    if path is None:
        return fragment
    intro = ("Move the sliders to change the line. Each dotted segment is one residual "
             "(prediction minus truth); the mean of their squares is the loss, the MSE. "
             "Learning is finding the w and b where it is lowest.")
    return write_page(path, _TITLE, [("", fragment)], intro=intro)
