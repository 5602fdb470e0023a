"""plot_landscape on the course notes' surface (vanilla gradient descent against momentum, run
with real glassgrad optimizers) and around a small model's weights (filter-normalised random
directions, weights put back)."""

import numpy as np
import pytest

import glassgrad
from glassgrad import nn
from glassgrad.viz import plot_landscape
from glassgrad.viz.landscape import loss_grid, random_directions


def surface_function(x, y):
    """The course notes' "more varied surface function", unchanged: NumPy functions on Tensors."""
    return (np.sin(np.sqrt(x**2 + y**2))
            + 0.5 * np.cos(2 * x)
            + 0.3 * np.sin(y / 2)
            - 0.05 * x**2 + 0.02 * y
            + 0.2 * np.exp(-((x + 1)**2 + (y - 2)**2) / 2)
            - 0.1 * np.exp(-((x - 3)**2 + (y + 1)**2) / 3))


SEEDS_OPTIMIZERS = {   # the notes' settings: vanilla lr 0.1; momentum lr 0.01, 0.9; 200 steps
    "Vanilla GD": lambda params: glassgrad.optim.SGD(params, lr=0.1),
    "Momentum GD": lambda params: glassgrad.optim.SGD(params, lr=0.01, momentum=0.9),
}


def numpy_paths(start, steps):
    """The notes' own loops (central differences, hand-written momentum), for comparison."""
    def gradient(p, h=1e-5):
        return np.array([(surface_function(p[0] + h, p[1]) - surface_function(p[0] - h, p[1])),
                         (surface_function(p[0], p[1] + h) - surface_function(p[0], p[1] - h))]
                        ) / (2 * h)

    vanilla, momentum = [np.array(start)], [np.array(start)]
    velocity = np.zeros(2)
    for _ in range(steps):
        vanilla.append(vanilla[-1] - 0.1 * gradient(vanilla[-1]))
        velocity = 0.9 * velocity - 0.01 * gradient(momentum[-1])
        momentum.append(momentum[-1] + velocity)
    return np.array(vanilla), np.array(momentum)


@pytest.fixture(scope="module")
def seeds_figure():
    return plot_landscape(surface_function, SEEDS_OPTIMIZERS, start=(0.1, 1.6), steps=200,
                          resolution=40)


def test_both_paths_start_at_start_and_momentum_ends_lower(seeds_figure):
    paths = seeds_figure.layout.meta["paths"]
    assert set(paths) == {"Vanilla GD", "Momentum GD"}
    for points in paths.values():
        assert len(points) == 201
        assert points[0][:2] == [0.1, 1.6]
        assert points[0][2] == pytest.approx(surface_function(0.1, 1.6))
        w1, w2, loss = np.array(points).T
        assert np.allclose(loss, surface_function(w1, w2))   # loss height = f on the path
    assert paths["Momentum GD"][-1][2] < paths["Vanilla GD"][-1][2] - 1.0


def test_paths_follow_the_notes_hand_written_loops(seeds_figure):
    vanilla, momentum = numpy_paths((0.1, 1.6), 200)
    paths = seeds_figure.layout.meta["paths"]
    assert np.allclose(np.array(paths["Vanilla GD"])[:, :2], vanilla, atol=1e-5)
    assert np.allclose(np.array(paths["Momentum GD"])[:, :2], momentum, atol=1e-5)


def test_the_surface_is_the_function_on_the_grid_and_holds_the_paths(seeds_figure):
    surface = seeds_figure.data[0]
    assert surface.type == "surface"
    xs, ys, zs = np.asarray(surface.x), np.asarray(surface.y), np.asarray(surface.z)
    assert zs.shape == (40, 40)
    grid_x, grid_y = np.meshgrid(xs, ys)
    assert np.allclose(zs, surface_function(grid_x, grid_y))
    (lo1, hi1), (lo2, hi2) = seeds_figure.layout.meta["bounds"]
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (lo1, hi1, lo2, hi2)
    for points in seeds_figure.layout.meta["paths"].values():
        w1, w2, _ = np.array(points).T
        assert lo1 < w1.min() and w1.max() < hi1 and lo2 < w2.min() and w2.max() < hi2
    traces = {t.name: t for t in seeds_figure.data[1:]}
    assert traces["Momentum GD"].type == "scatter3d"
    assert traces["Momentum GD"].mode == "lines+markers"
    assert np.allclose(traces["Momentum GD"].z,
                       np.array(seeds_figure.layout.meta["paths"]["Momentum GD"])[:, 2])


def test_contour_bounds_and_a_function_that_is_not_elementwise():
    data_x = np.linspace(-1, 1, 7)
    data_y = 3 * data_x - 1

    def mse(w, b):   # a reduction over data: evaluated point by point on the grid
        return ((w * glassgrad.tensor(data_x) + b - glassgrad.tensor(data_y)) ** 2).mean()

    adam = {"Adam": lambda p: glassgrad.optim.Adam(p, lr=0.1)}
    figure = plot_landscape(mse, adam, start=(0.0, 0.0), steps=150, bounds=(-4, 4),
                            resolution=9, kind="contour")
    contour = figure.data[0]
    assert contour.type == "contour" and list(contour.x) == list(np.linspace(-4, 4, 9))
    expected = [[np.mean((w * data_x + b - data_y) ** 2) for w in contour.x] for b in contour.y]
    assert np.allclose(contour.z, expected)
    w, b, loss = figure.layout.meta["paths"]["Adam"][-1]
    assert (w, b) == pytest.approx((3.0, -1.0), abs=0.1) and loss < 0.01
    assert figure.data[1].type == "scatter"
    assert loss_grid(mse, [3.0], [-1.0])[0, 0] == pytest.approx(0.0, abs=1e-12)


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        plot_landscape(surface_function, kind="wireframe")
    with pytest.raises(ValueError, match="bounds"):
        plot_landscape(surface_function, bounds=((1, 0), (0, 1)))
    with pytest.raises(TypeError, match="factories"):
        plot_landscape(surface_function, {"x": lambda p: 3})
    with pytest.raises(ValueError, match="scalar Tensor"):
        plot_landscape(lambda a, b: float(a + b), {"SGD": SEEDS_OPTIMIZERS["Vanilla GD"]})


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning",
                            "ignore:invalid value:RuntimeWarning")
def test_a_diverging_path_stops_and_the_box_ignores_what_is_not_finite():
    figure = plot_landscape(lambda a, b: a ** 2 + b ** 2,
                            {"too fast": lambda p: glassgrad.optim.SGD(p, lr=1e200)},
                            start=(1.0, 1.0), steps=10, resolution=5)
    points = figure.layout.meta["paths"]["too fast"]
    assert len(points) < 11 and not np.isfinite(points[-1][2])
    assert np.all(np.isfinite(figure.layout.meta["bounds"]))


def regression_model():
    glassgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Dropout(0.5), nn.Linear(16, 1))
    x = glassgrad.randn(32, 2)
    y = (x[:, :1] * 2 - x[:, 1:]).tanh()
    return model, (lambda: nn.functional.mse_loss(model(x), y))


def test_model_mode_restores_the_weights_and_centres_on_the_current_loss():
    model, loss_fn = regression_model()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    glassgrad.manual_seed(1)
    figure = plot_landscape(loss_fn, model=model, resolution=11, span=0.5, kind="surface")
    after = model.state_dict()
    assert all(np.array_equal(before[k], after[k].numpy()) for k in before)
    assert model.training                                   # its mode is back too
    model.eval()
    with glassgrad.no_grad():
        loss = loss_fn().item()
    surface = figure.data[0]
    assert list(surface.x) == pytest.approx(list(np.linspace(-0.5, 0.5, 11)))
    assert figure.layout.meta["center_loss"] == pytest.approx(loss, rel=1e-6)
    assert np.asarray(surface.z)[5, 5] == pytest.approx(loss, rel=1e-6)
    assert np.asarray(surface.z).std() > 0
    drawn = glassgrad.rand(1).item()            # the global generator was left alone
    glassgrad.manual_seed(1)
    assert drawn == glassgrad.rand(1).item()


def test_filter_normalised_directions():
    model, _ = regression_model()
    params = list(model.parameters())
    first, second = random_directions(params, seed=3)
    for p, d in zip(params, first):
        theta = p.detach().numpy()
        if theta.ndim == 2:
            assert np.allclose(np.linalg.norm(d, axis=1), np.linalg.norm(theta, axis=1))
        else:
            assert not d.any()                              # biases held fixed
    again = random_directions(params, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(first + second, again[0] + again[1]))
    assert not np.allclose(first[0], second[0])
