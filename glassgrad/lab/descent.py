"""``glassgrad lab descent``: vanilla and momentum gradient descent on a bumpy surface, in 3-D.

The course notes' gradient-descent example (seed 001, "Section 3", In [3],
``gd_vanilla_vs_momentum_numpy.py``): from the point (0.1, 1.6), 200 steps on

    f(x, y) = sin(sqrt(x^2 + y^2)) + 0.5 cos(2x) + 0.3 sin(y / 2) - 0.05 x^2 + 0.02 y
              + 0.2 exp(-((x + 1)^2 + (y - 2)^2) / 2) - 0.1 exp(-((x - 3)^2 + (y + 1)^2) / 3)

with vanilla gradient descent (lr 0.1) and momentum (lr 0.01, momentum 0.9), the notes' settings.
The notes compute the gradient numerically (central differences) and write the updates by hand;
here (x, y) are two glassgrad tensors, autograd gives the gradient, and ``optim.SGD`` steps
(run by ``glassgrad.viz.plot_landscape``, which draws the surface with the paths):

    vanilla    p <- p - lr * grad f(p)
    momentum   v <- 0.9 v + grad f(p);  p <- p - lr * v
               (the notes write v <- 0.9 v - lr g; p <- p + v: the same steps at a constant lr)
"""

import numpy as np

from ._common import finish, panel, plotly_panels, series

NAME = "descent"
TITLE = "Gradient descent with and without momentum, on a bumpy surface"
START = (0.1, 1.6)
STEPS = 200
METHODS = {"vanilla GD": {"lr": 0.1, "momentum": 0.0},
           "momentum GD": {"lr": 0.01, "momentum": 0.9}}
COLUMNS = [("method", "method", ""), ("lr", "lr", "g"), ("momentum", "momentum", "g"),
           ("end_x", "end x", ".6f"), ("end_y", "end y", ".6f"), ("end_z", "f at end", ".6f"),
           ("lowest_z", "lowest f on path", ".6f"), ("distance", "distance travelled", ".3f")]

INTRO = """
<p>A ball rolling downhill: starting from the same point (0.1, 1.6) on a bumpy surface
<code>f(x, y)</code>, two optimizers take 200 steps each. The surface has several dips
(local minima) separated by ridges.</p>
<p><b>Vanilla gradient descent</b> (learning rate 0.1) steps straight down the local slope.
It settles in the first dip it reaches, after about 75 steps: where the slope is zero, so is
its step, and it stays there. <b>Momentum</b> (learning rate 0.01, momentum 0.9) accumulates a
velocity from the gradients it has seen, so it keeps moving through flat stretches and carries
on past small bumps; although each of its raw steps is ten times smaller, it travels almost
twice as far, takes a different route and ends much lower, still going down after 200 steps.
Momentum does not guarantee a lower end (it can also roll out of a good dip), but it is less
easily stopped by small features of the landscape.</p>
<p>Drag the 3-D picture to turn it (the pictures are drawn by
<code>glassgrad.viz.plot_landscape</code>, which also runs the two optimizers).</p>
"""


def surface(x, y):
    """The notes' surface; works on glassgrad tensors (autograd) and on NumPy arrays."""
    import glassgrad as gg

    lib = gg if isinstance(x, gg.Tensor) else np
    return (lib.sin(lib.sqrt(x ** 2 + y ** 2))
            + 0.5 * lib.cos(2 * x)
            + 0.3 * lib.sin(y / 2)
            - 0.05 * x ** 2 + 0.02 * y
            + 0.2 * lib.exp(-((x + 1) ** 2 + (y - 2) ** 2) / 2)
            - 0.1 * lib.exp(-((x - 3) ** 2 + (y + 1) ** 2) / 3))


def factories():
    """``{method: lambda params: optimizer}`` for ``glassgrad.viz.plot_landscape``."""
    from .. import optim

    return {name: (lambda params, lr=settings["lr"], momentum=settings["momentum"]:
                   optim.SGD(params, lr=lr, momentum=momentum))
            for name, settings in METHODS.items()}


def numpy_reference(lr, momentum, start=START, steps=STEPS, h=1e-5):
    """The notes' own NumPy version: central-difference gradient, hand-written updates."""
    point = np.array(start, dtype=np.float64)
    velocity = np.zeros(2)
    for _ in range(steps):
        gradient = np.array([
            (surface(point[0] + h, point[1]) - surface(point[0] - h, point[1])) / (2 * h),
            (surface(point[0], point[1] + h) - surface(point[0], point[1] - h)) / (2 * h)])
        velocity = momentum * velocity - lr * gradient
        point = point + velocity
    return point


def run(folder, fast=False):
    """Run both descents and write the page; returns a ``LabResult``.

    The descents run inside ``glassgrad.viz.plot_landscape`` (autograd, ``optim.SGD``, float64),
    which draws the surface and returns the paths in ``figure.layout.meta["paths"]``.
    ``fast``: a coarser grid for the pictures (the descents are the same 200 steps).
    """
    from ..viz import plot_landscape

    resolution = 60 if fast else 100
    common = dict(start=START, steps=STEPS, bounds=((-5, 5), (-5, 5)), resolution=resolution)
    surface_figure = plot_landscape(surface, factories(), kind="surface", **common)
    contour_figure = plot_landscape(surface, factories(), kind="contour", **common)
    surface_figure.update_layout(title="f(x, y) with the two paths", height=680,
                                 scene=dict(xaxis_title="x", yaxis_title="y",
                                            zaxis_title="f(x, y)"))
    contour_figure.update_layout(title="The paths from above (contours of f)", xaxis_title="x",
                                 yaxis_title="y", xaxis=dict(constrain="domain"),
                                 yaxis=dict(scaleanchor="x"))
    paths = {name: np.array(points) for name, points in
             surface_figure.layout.meta["paths"].items()}
    colours = {trace.name: trace.line.color for trace in surface_figure.data
               if trace.name in paths}
    rows = []
    for name, path in paths.items():
        rows.append({"method": name, **METHODS[name], "end_x": path[-1, 0],
                     "end_y": path[-1, 1], "end_z": path[-1, 2], "lowest_z": path[:, 2].min(),
                     "distance": float(np.linalg.norm(np.diff(path[:, :2], axis=0),
                                                      axis=1).sum())})
    notes = []
    for name, settings in METHODS.items():
        end = numpy_reference(**settings)
        notes.append(f"the notes' NumPy version (numerical gradient) of {name} ends at "
                     f"({end[0]:.6f}, {end[1]:.6f})")
    grid = np.linspace(-5, 5, resolution)
    gx, gy = np.meshgrid(grid, grid)
    gz = surface(gx, gy)
    notes.append(f"the surface on a {resolution} x {resolution} grid over [-5, 5]^2: "
                 f"min {gz.min():.6f}, max {gz.max():.6f}")

    heights = panel("f along each path", "step", "f(x, y)",
                    [series(name, range(len(path)), path[:, 2], colours[name])
                     for name, path in paths.items()])
    sections = [("The surface and the two paths, in 3-D (plot_landscape)", surface_figure),
                ("Seen from above", contour_figure),
                ("Height along the paths", plotly_panels([heights], height=400))]
    pngs = {"surface_3d.png": lambda path: _surface_png(gx, gy, gz, paths, colours, path),
            "paths.png": lambda path: _contour_png(grid, gz, paths, colours, heights, path)}
    settings = {"start": START, "steps": STEPS,
                "vanilla GD": "optim.SGD(lr=0.1)", "momentum GD": "optim.SGD(lr=0.01, "
                                                                  "momentum=0.9)",
                "gradient": "autograd on two float64 scalar tensors (plot_landscape)"}
    return finish(NAME, TITLE, folder, INTRO, sections, pngs, rows, COLUMNS, notes, settings)


def _surface_png(gx, gy, gz, paths, colours, path):
    from ..viz._io import save_png
    from ._common import pyplot

    plt = pyplot()
    figure = plt.figure(figsize=(8, 6.5))
    axis = figure.add_subplot(projection="3d")
    axis.plot_surface(gx, gy, gz, cmap="viridis", alpha=0.45, linewidth=0, zorder=1)
    for name, trail in paths.items():
        axis.plot(trail[:, 0], trail[:, 1], trail[:, 2] + 0.03, color=colours[name],
                  linewidth=2.5, label=name, zorder=5)
    axis.scatter([START[0]], [START[1]], [float(surface(*START)) + 0.03], color="black", s=30,
                 label="start")
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    axis.set_zlabel("f(x, y)")
    axis.view_init(elev=55, azim=-70)
    axis.legend(fontsize=8)
    axis.set_title("The surface and the two paths")
    return save_png(figure, path)


def _contour_png(grid, gz, paths, colours, heights, path):
    from ..viz._io import save_png
    from ._common import _draw_panel, pyplot

    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    contours = left.contourf(grid, grid, gz, levels=30, cmap="viridis")
    figure.colorbar(contours, ax=left, label="f")
    for name, trail in paths.items():
        left.plot(trail[:, 0], trail[:, 1], "-o", markersize=1.5, color=colours[name],
                  linewidth=2, label=name)
    left.plot(*START, "kx", markersize=10, label="start")
    left.set_aspect("equal")
    left.set_xlabel("x")
    left.set_ylabel("y")
    left.set_title("The paths from above")
    left.legend(fontsize=8)
    _draw_panel(right, heights)
    figure.tight_layout()
    return save_png(figure, path)
