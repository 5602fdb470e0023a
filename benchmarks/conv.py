"""conv: a small convolutional network's training step, glassgrad vs PyTorch vs NumPy im2col.

Conv2d(1,8,3)-ReLU-MaxPool2d(2)-Conv2d(8,16,3)-ReLU-MaxPool2d(2)-Flatten-Linear(400,10), a fixed
batch of 64 random 1x28x28 images with random labels, cross-entropy and Adam (lr 1e-3); one run
is one optimizer step (zero_grad, forward, backward, step). This measures how glassgrad's
convolution and pooling primitives (forward and backward) compare with a hand-written NumPy
im2col version (``_numpy_conv``), where the work is a few matrix products, window copies and
scatters, and with PyTorch's native kernels. All three start from the same weights, and their
first-step gradients are checked against each other before timing.
The goal: glassgrad at most 1.3x the NumPy baseline's time.
"""

import numpy as np
from _harness import Goal, fmt_ratio, goal_dicts, goal_rows, interleave, print_table, torch_module
from _numpy_conv import Step

BATCH = 64
GOAL = Goal("glassgrad / NumPy", 1.30)
SHAPES = [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 400), (10,)]
KEYS = ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias"]


def initial_params(seed=0):
    """PyTorch's default init, drawn in NumPy: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    rng = np.random.default_rng(seed)
    params = []
    for weight_shape, bias_shape in zip(SHAPES[::2], SHAPES[1::2]):
        bound = 1.0 / np.sqrt(np.prod(weight_shape[1:]))
        params.append(rng.uniform(-bound, bound, weight_shape).astype(np.float32))
        params.append(rng.uniform(-bound, bound, bias_shape).astype(np.float32))
    return params


def build(lib, params):
    nn = lib.nn
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(400, 10))
    model.load_state_dict({key: lib.tensor(p) for key, p in zip(KEYS, params)})
    return model


class FrameworkStep:
    """One training step for glassgrad or PyTorch (``lib`` is either module)."""

    def __init__(self, lib, params, images, labels):
        self.model = build(lib, params)
        self.optimizer = lib.optim.Adam(self.model.parameters(), lr=1e-3)
        self.loss_fn = lib.nn.CrossEntropyLoss()
        self.images, self.labels = lib.tensor(images), lib.tensor(labels)

    def __call__(self):
        self.optimizer.zero_grad()
        loss = self.loss_fn(self.model(self.images), self.labels)
        loss.backward()
        self.optimizer.step()
        return loss


def batch(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32)
    return images, rng.integers(0, 10, BATCH).astype(np.int64)


def check_gradients(steps):
    """The first step's gradients of glassgrad and NumPy must match PyTorch's."""
    for step in steps.values():
        if isinstance(step, FrameworkStep):
            step.optimizer.zero_grad()
            step.loss_fn(step.model(step.images), step.labels).backward()
    expected = [p.grad.numpy() for p in steps["torch"].model.parameters()]
    got_gg = [p.grad.numpy() for p in steps["glassgrad"].model.parameters()]
    hand = steps["numpy"]
    from _numpy_nets import softmax_cross_entropy

    got_np = hand.net.backward(softmax_cross_entropy(hand.net.forward(hand.images),
                                                     hand.labels)[1])
    for want, a, b in zip(expected, got_gg, got_np):
        np.testing.assert_allclose(a, want, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(b, want, rtol=1e-3, atol=1e-5)


def main(quick=False):
    import glassgrad

    torch = torch_module()
    images, labels = batch()
    params = initial_params()
    steps = {"glassgrad": FrameworkStep(glassgrad, params, images, labels),
             "torch": FrameworkStep(torch, params, images, labels),
             "numpy": Step(params, images, labels)}
    check_gradients(steps)
    repeats = 10 if quick else 100
    result = interleave(steps, repeats, warmup=3)
    ms = {name: s * 1e3 for name, s in result["seconds"].items()}
    ratios = result["ratios"]
    rows = [["glassgrad", f"{ms['glassgrad']:.2f}", "1.00x", "", ""],
            ["PyTorch", f"{ms['torch']:.2f}", fmt_ratio(ratios["torch"]), "", ""],
            ["NumPy im2col by hand", f"{ms['numpy']:.2f}", fmt_ratio(ratios["numpy"]),
             GOAL.text(), GOAL.verdict(ratios["numpy"])]]
    print_table(f"conv: Conv-ReLU-Pool x2 + Linear(400,10), batch {BATCH} of 1x28x28, Adam",
                ["library", "ms per step", "glassgrad's time / this", "goal", "met"], rows,
                notes=[f"Medians of {repeats} interleaved steps (forward, backward, Adam)."])
    goals = [(GOAL, ratios["numpy"], result["spreads"]["numpy"])]
    return {"ms_per_step": ms, "ratios": ratios,
            "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
