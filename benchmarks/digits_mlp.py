"""digits-mlp: a whole small training job, the kind a learner runs, glassgrad vs PyTorch vs NumPy.

An MLP 64-256-256-10 with ReLU, cross-entropy and Adam (lr 1e-3), batch 64, shuffled epochs over
scikit-learn's digits (1797 rows, X/16 as float32), ``zero_grad``, ``backward``, ``step``. One run
is one epoch, so data loading, Python overhead and the small matrix products all count. Each
library is timed fed two ways, in the same interleaved rounds:

- DataLoader: glassgrad and PyTorch through ``TensorDataset`` + ``DataLoader(shuffle=True)``; the
  NumPy baseline (``_numpy_nets``) shuffles once per epoch and cuts batches by slicing, with the
  forward, the softmax-cross-entropy backward and Adam written by hand. PyTorch's DataLoader
  gathers and collates its batches sample by sample; glassgrad's slices them from the index array.
- indexing, no DataLoader: all three take a shuffled permutation per epoch and gather each
  batch as ``x[idx], y[idx]``, so the ratio to PyTorch is the training step itself, PyTorch on
  all cores as everywhere here. A row of PyTorch on one thread (``set_num_threads(1)`` around its
  epochs) is shown as information: on these two cores its second thread costs more than it gives.

Each library trains ``COPIES`` copies of the model, built the same way, and its time in a round
is the mean over its copies: on this machine two copies of one model differ by 3-4% in speed
(where their arrays land in memory), as much as the margin of a goal, and one copy per library
made the ratio a draw of that lottery from process to process.

All start from the same weights (PyTorch's default init, drawn once in NumPy); the training
accuracy after the last epoch is printed, so a fast but wrong implementation would show.
The goals: DataLoader-fed, glassgrad at most 0.65x PyTorch's time (issue 7); fed by indexing, at
most issue 17's baseline ratio to PyTorch plus 5%. The issue 7 goal of at most 1.15x the NumPy
baseline is withdrawn for the eager path (issue 17); that ratio is shown as information.
"""

import statistics

import numpy as np
from _harness import (
    Goal,
    digits,
    fmt_ratio,
    fmt_spread,
    goal_dicts,
    goal_rows,
    interleave,
    middle_half,
    print_table,
    torch_module,
)
from _numpy_nets import MLP
from _numpy_nets import IndexingTrainer as NumpyIndexingTrainer
from _numpy_nets import Trainer as NumpyTrainer

SIZES = (64, 256, 256, 10)
BATCH = 64
LR = 1e-3
COPIES = 2
FEEDS = {"": "DataLoader", " indexing": "indexing, no DataLoader"}
LABELS = {"glassgrad": "glassgrad", "torch": "PyTorch", "numpy": "NumPy by hand",
          "torch1": "PyTorch, 1 thread"}
ROWS = {"": ("glassgrad", "torch", "numpy"),  # the rows of each feed's table
        " indexing": ("glassgrad", "torch", "numpy", "torch1")}
WITHDRAWN = ("issue 17: the next speed step is a captured step, not a faster eager one; "
             "kept as information")
GOALS = {
    "torch": Goal("glassgrad / PyTorch, DataLoader", 0.65),
    "numpy": Goal("glassgrad / NumPy by hand, DataLoader", 1.15, withdrawn=WITHDRAWN),
    # Issue 17's baseline, measured 2026-12-08 before the core's restructuring: 0.29x PyTorch, the
    # median of the three runs at quiet-machine speed (0.29x, 0.31x, 0.28x; four on a busy
    # machine, 5-minute load 3.0 to 6.1, read 0.31x to 0.51x and are no baseline: PyTorch's second
    # thread suffers most from load), x 1.05 = 0.30x. The restructured core must stay within 5%.
    "torch indexing": Goal("glassgrad / PyTorch, indexing", 0.30),
}


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
    """The plain training loop, identical for glassgrad and PyTorch (``lib`` is either module),
    fed by ``DataLoader(TensorDataset(x, y), shuffle=True)``."""

    def __init__(self, lib, sizes, weights, x, y, batch_size, lr=LR, seed=0):
        lib.manual_seed(seed)
        self.lib = lib
        self.model = build_mlp(lib, sizes, weights)
        self.optimizer = lib.optim.Adam(self.model.parameters(), lr=lr)
        self.loss_fn = lib.nn.CrossEntropyLoss()
        self.batch_size = batch_size
        self.x, self.y = lib.tensor(x), lib.tensor(y)
        dataset = lib.utils.data.TensorDataset(self.x, self.y)
        self.loader = lib.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)

    def batches(self):
        return self.loader

    def epoch(self):
        model, optimizer, loss_fn = self.model, self.optimizer, self.loss_fn
        for xb, yb in self.batches():
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()

    def accuracy(self, x, y):
        with self.lib.no_grad():
            predicted = self.model(self.lib.tensor(x)).argmax(1).numpy()
        return float((predicted == y).mean())


class IndexingLoop(FrameworkLoop):
    """The same loop fed without a DataLoader: a shuffled permutation per epoch
    (``lib.randperm``) and ``x[idx], y[idx]`` for each batch of indices."""

    def batches(self):
        order = self.lib.randperm(len(self.x))
        for start in range(0, len(self.x), self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self.x[idx], self.y[idx]


class OneThread:
    """A PyTorch loop whose epochs run with ``torch.set_num_threads(1)``, then back to all cores.

    Information, not a goal: on this 2-core machine PyTorch's second thread costs more than it
    gives on a 64-row batch, and the more so when other processes share the cores.
    """

    def __init__(self, loop):
        self.loop = loop

    def epoch(self):
        torch = self.loop.lib
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            self.loop.epoch()
        finally:
            torch.set_num_threads(threads)

    def accuracy(self, x, y):
        return self.loop.accuracy(x, y)


def make_trainers(sizes, x, y, batch_size, libraries=("glassgrad", "torch", "numpy"), seed=0):
    """``{name: trainer}`` with ``epoch()`` and ``accuracy(x, y)``, all from the same weights.

    ``libraries``: any of ``glassgrad``, ``torch`` (fed by a DataLoader), ``torch1`` (the same
    on one thread), ``numpy`` (the hand-written loop, batches sliced from a shuffled copy) and
    these with `` indexing`` appended (a permutation and ``x[idx]`` per batch, no DataLoader).
    """
    weights = MLP.init(sizes, seed).params
    trainers = {}
    for name in libraries:
        library, _, feed = name.partition(" ")
        if library == "numpy":
            numpy_loop = NumpyIndexingTrainer if feed == "indexing" else NumpyTrainer
            trainers[name] = numpy_loop(MLP(weights), x, y, batch_size, lr=LR, seed=seed)
            continue
        if library == "glassgrad":
            import glassgrad as lib
        else:
            lib = torch_module()
        loop = IndexingLoop if feed == "indexing" else FrameworkLoop
        trainers[name] = loop(lib, sizes, weights, x, y, batch_size, seed=seed)
        if library == "torch1":
            trainers[name] = OneThread(trainers[name])
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
    libraries = [library + feed for feed, names in ROWS.items() for library in names]
    copies = [make_trainers(SIZES, x, y, BATCH, libraries) for _ in range(COPIES)]
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
    round_ratios = {}  # glassgrad's time / this library's, round by round, for the same feed
    for feed, names in ROWS.items():
        for library in names[1:]:
            round_ratios[library + feed] = [g / t for g, t in zip(per_round["glassgrad" + feed],
                                                                   per_round[library + feed])]
    ratios = {name: statistics.median(r) for name, r in round_ratios.items()}
    spreads = {name: middle_half(r) for name, r in round_ratios.items()}
    for feed, feed_title in FEEDS.items():
        rows = []
        for library in ROWS[feed]:
            name, label = library + feed, LABELS[library]
            goal = GOALS.get(name)
            ratio = ratios.get(name, 1.0)
            rows.append([label, f"{ms[name]:.1f}", f"{accuracy[name]:.3f}", fmt_ratio(ratio),
                         fmt_spread(spreads.get(name)), goal.text() if goal else "",
                         goal.verdict(ratio) if goal else ""])
        print_table(f"digits-mlp: MLP 64-256-256-10, Adam, batch {BATCH}, 1797 digits, "
                    f"fed by {feed_title}",
                    ["library", "ms per epoch", f"train accuracy after {epochs} epochs",
                     "glassgrad's time / this", "middle half of rounds", "goal", "met"], rows,
                    notes=[f"Medians of {repeats} interleaved rounds of one epoch per copy "
                           f"({COPIES} copies of each model; a library's time in a round is the "
                           "mean over its copies); each ratio is the median of the rounds' "
                           "ratios. Both tables come from the same rounds."]
                    + ([f"The NumPy goal is withdrawn ({WITHDRAWN})."] if not feed else []))
    goals = [(goal, ratios[name], spreads[name]) for name, goal in GOALS.items()]
    return {"ms_per_epoch": ms, "ratios": ratios, "middle_half": spreads, "accuracy": accuracy,
            "epochs": epochs, "goals": goal_dicts(goals), "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
