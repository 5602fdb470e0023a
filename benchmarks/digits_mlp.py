"""digits-mlp: a whole small training job, the kind a learner runs, glassgrad vs PyTorch vs NumPy.

An MLP 64-256-256-10 with ReLU, cross-entropy and Adam (lr 1e-3), batch 64, shuffled epochs over
scikit-learn's digits (1797 rows, X/16 as float32). Each library is used the way its users write
it: glassgrad and PyTorch through ``TensorDataset`` + ``DataLoader(shuffle=True)``, ``zero_grad``,
``backward``, ``step``; the NumPy baseline (``_numpy_nets``) shuffles once per epoch and cuts
batches by slicing, with the forward, the softmax-cross-entropy backward and Adam written by hand.
One run is one epoch, so data loading, Python overhead and the small matrix products all count.

Each library trains ``COPIES`` copies of the model, built the same way, and its time in a round
is the mean over its copies: on this machine two copies of one model differ by 3-4% in speed
(where their arrays land in memory), as much as the margin of a goal, and one copy per library
made the ratio a draw of that lottery from process to process.

All three start from the same weights (PyTorch's default init, drawn once in NumPy); the training
accuracy after the last epoch is printed, so a fast but wrong implementation would show.
The goals: glassgrad at most 0.65x PyTorch's time and at most 1.15x the NumPy baseline's.
"""

import statistics

import numpy as np
from _harness import (
    Goal,
    digits,
    fmt_ratio,
    goal_dicts,
    goal_rows,
    interleave,
    middle_half,
    print_table,
    torch_module,
)
from _numpy_nets import MLP
from _numpy_nets import Trainer as NumpyTrainer

SIZES = (64, 256, 256, 10)
BATCH = 64
LR = 1e-3
COPIES = 2
GOALS = {"torch": Goal("glassgrad / PyTorch", 0.65), "numpy": Goal("glassgrad / NumPy", 1.15)}


def build_mlp(lib, sizes, weights):
    """``lib.nn.Sequential(Linear, ReLU, ..., Linear)`` holding ``weights`` (PyTorch layout)."""
    nn = lib.nn
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Linear(fan_in, fan_out))
    model = nn.Sequential(*layers)
    state = {}
    for i in range(len(weights) // 2):
        state[f"{2 * i}.weight"] = lib.tensor(weights[2 * i])
        state[f"{2 * i}.bias"] = lib.tensor(weights[2 * i + 1])
    model.load_state_dict(state)
    return model


class FrameworkLoop:
    """The plain training loop, identical for glassgrad and PyTorch (``lib`` is either module)."""

    def __init__(self, lib, sizes, weights, x, y, batch_size, lr=LR, seed=0):
        lib.manual_seed(seed)
        self.lib = lib
        self.model = build_mlp(lib, sizes, weights)
        self.optimizer = lib.optim.Adam(self.model.parameters(), lr=lr)
        self.loss_fn = lib.nn.CrossEntropyLoss()
        dataset = lib.utils.data.TensorDataset(lib.tensor(x), lib.tensor(y))
        self.loader = lib.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)

    def epoch(self):
        model, optimizer, loss_fn = self.model, self.optimizer, self.loss_fn
        for xb, yb in self.loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()

    def accuracy(self, x, y):
        with self.lib.no_grad():
            predicted = self.model(self.lib.tensor(x)).argmax(1).numpy()
        return float((predicted == y).mean())


def make_trainers(sizes, x, y, batch_size, libraries=("glassgrad", "torch", "numpy"), seed=0):
    """``{name: trainer}`` with ``epoch()`` and ``accuracy(x, y)``, all from the same weights."""
    weights = MLP.init(sizes, seed).params
    trainers = {}
    for name in libraries:
        if name == "glassgrad":
            import glassgrad

            trainers[name] = FrameworkLoop(glassgrad, sizes, weights, x, y, batch_size, seed=seed)
        elif name == "torch":
            trainers[name] = FrameworkLoop(torch_module(), sizes, weights, x, y, batch_size,
                                           seed=seed)
        else:
            trainers[name] = NumpyTrainer(MLP(weights), x, y, batch_size, lr=LR, seed=seed)
    return trainers


def check_same_step(sizes, x, y):
    """One identical batch through all three: the losses' gradients must agree (a sanity check)."""
    import glassgrad

    torch = torch_module()
    from _numpy_nets import softmax_cross_entropy

    weights = MLP.init(sizes, 1).params
    xb, yb = x[:BATCH], y[:BATCH]
    by_hand = MLP(weights)
    expected = by_hand.backward(softmax_cross_entropy(by_hand.forward(xb), yb)[1])
    for lib in (glassgrad, torch):
        model = build_mlp(lib, sizes, weights)
        lib.nn.CrossEntropyLoss()(model(lib.tensor(xb)), lib.tensor(yb)).backward()
        for p, want in zip(model.parameters(), expected):
            np.testing.assert_allclose(p.grad.numpy(), want, rtol=1e-3, atol=1e-5)


def main(quick=False):
    x, y = digits()
    check_same_step(SIZES, x, y)
    copies = [make_trainers(SIZES, x, y, BATCH) for _ in range(COPIES)]
    libraries = list(copies[0])
    repeats = 3 if quick else 15
    result = interleave({f"{name} #{i}": trainers[name].epoch
                         for i, trainers in enumerate(copies) for name in libraries},
                        repeats, warmup=1, reference=f"{libraries[0]} #0")
    epochs = repeats + 1
    samples = result["samples"]
    per_round = {name: [statistics.fmean(times) for times in
                        zip(*(samples[f"{name} #{i}"] for i in range(COPIES)))]
                 for name in libraries}  # each library's mean over its copies, round by round
    accuracy = {name: copies[0][name].accuracy(x, y) for name in libraries}
    ms = {name: statistics.median(times) * 1e3 for name, times in per_round.items()}
    round_ratios = {name: [g / t for g, t in zip(per_round["glassgrad"], times)]
                    for name, times in per_round.items() if name != "glassgrad"}
    ratios = {name: statistics.median(r) for name, r in round_ratios.items()}
    spreads = {name: middle_half(r) for name, r in round_ratios.items()}
    names = {"glassgrad": "glassgrad", "torch": "PyTorch", "numpy": "NumPy by hand"}
    rows = []
    for key, label in names.items():
        ratio = 1.0 if key == "glassgrad" else ratios[key]
        goal = GOALS.get(key)
        rows.append([label, f"{ms[key]:.1f}", f"{accuracy[key]:.3f}", fmt_ratio(ratio),
                     goal.text() if goal else "", goal.verdict(ratio) if goal else ""])
    print_table(f"digits-mlp: MLP 64-256-256-10, Adam, batch {BATCH}, 1797 digits, "
                "DataLoader and all",
                ["library", "ms per epoch", f"train accuracy after {epochs} epochs",
                 "glassgrad's time / this", "goal", "met"], rows,
                notes=[f"Medians of {repeats} interleaved rounds of one epoch per copy "
                       f"({COPIES} copies of each model; a library's time in a round is the "
                       "mean over its copies); each ratio is the median of the rounds' "
                       "ratios."])
    goals = [(GOALS[key], ratios[key], spreads[key]) for key in ("torch", "numpy")]
    return {"ms_per_epoch": ms, "ratios": ratios, "accuracy": accuracy, "epochs": epochs,
            "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
