"""Training 10,000 steps leaves resident memory flat (no graph or history leak): a test, by size,
not time.

A small model (MLP 20-32-1, batch 32, MSE, Adam) trains 10,000 optimizer steps with the plain
loop and, separately, with the Trainer (progress=False, no run folder). Resident memory is read
(after ``gc.collect()``) at step 1,000, once every allocator pool and lazy cache has settled,
and again at step 10,000: a leak of even one small tensor or graph node per step would show as
megabytes. The Trainer's History keeps one small dict row per step by design; that growth is
measured (the rows' own bytes) and subtracted, and the rows are checked to stay small.
A third test holds weak references to every tensor and graph node of one step and checks that
all of them are gone when the step's names are dropped, with the cycle collector switched off:
freed by reference counting alone, so memory never waits for a ``gc`` pass. (The parameters' own
AccumulateGrad nodes are the exception, one per parameter, kept from step to step.)
"""

import gc
import os
import resource
import sys
import weakref

import numpy as np

import glassgrad as gg
from glassgrad import nn, optim
from glassgrad.train import Callback, Trainer
from glassgrad.utils.data import DataLoader, TensorDataset

STEPS = 10_000
FIRST_MARK = 1_000
ROWS = 3_200                 # 100 batches of 32 per epoch, 100 epochs
MB = 1024 * 1024
ALLOWED_GROWTH = 2 * MB      # one leaked 32x32 float32 array per step would be 40 MB


def rss_bytes():
    """Resident memory now (after a full collection); peak resident memory without /proc."""
    gc.collect()
    try:
        with open("/proc/self/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def setup():
    gg.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 1))
    x = gg.randn(ROWS, 20)
    y = x[:, :1] * 0.5 + 0.1 * gg.randn(ROWS, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    return model, loader, optim.Adam(model.parameters(), lr=1e-3), nn.MSELoss()


def rows_bytes(rows):
    """The memory held by History rows: each dict and every key or value object not shared with
    an earlier row (the same ``lr`` float and interned names are counted once), plus the list's
    pointers."""
    seen, total = set(), 8 * len(rows)
    for row in rows:
        total += sys.getsizeof(row)
        for item in (*row.keys(), *row.values()):
            if id(item) not in seen:
                seen.add(id(item))
                total += sys.getsizeof(item)
    return total


def test_plain_loop_memory_is_flat_over_10000_steps():
    model, loader, optimizer, loss_fn = setup()
    marks, step = {}, 0
    while step < STEPS:
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            step += 1
            if step in (FIRST_MARK, STEPS):
                marks[step] = rss_bytes()
    assert loss.item() < 0.1                      # it trained
    growth = marks[STEPS] - marks[FIRST_MARK]
    assert growth < ALLOWED_GROWTH, (
        f"resident memory grew by {growth / MB:.1f} MB from step {FIRST_MARK} to {STEPS}")


class MemoryMarks(Callback):
    """Reads resident memory and the History's length at two steps."""

    def __init__(self):
        self.marks = {}

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        if trainer.global_step in (FIRST_MARK, STEPS):
            self.marks[trainer.global_step] = (rss_bytes(), len(trainer.history.steps),
                                               len(trainer.history.epochs))


def test_trainer_memory_is_flat_over_10000_steps_apart_from_history_rows():
    model, loader, optimizer, loss_fn = setup()
    probe = MemoryMarks()
    trainer = Trainer(max_epochs=STEPS // len(loader), progress=False, callbacks=[probe])
    history = trainer.fit(model, loader, loss_fn=loss_fn, optimizer=optimizer)
    assert trainer.global_step == STEPS and len(history.steps) == STEPS
    assert history.epochs[-1]["train_loss"] < 0.1
    (rss_first, steps_first, epochs_first), (rss_last, steps_last, epochs_last) = (
        probe.marks[FIRST_MARK], probe.marks[STEPS])
    history_growth = (rows_bytes(history.steps[steps_first:steps_last])
                      + rows_bytes(history.epochs[epochs_first:epochs_last]))
    per_row = history_growth / (steps_last - steps_first)
    assert per_row < 1024, f"a History step row holds {per_row:.0f} bytes"
    growth = rss_last - rss_first
    assert growth - history_growth < ALLOWED_GROWTH, (
        f"resident memory grew by {growth / MB:.1f} MB from step {FIRST_MARK} to {STEPS}, of "
        f"which History rows account for {history_growth / MB:.1f} MB")


def graph_nodes(tensor):
    """Every autograd node reachable from ``tensor.grad_fn``."""
    nodes, stack = [], [tensor.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or any(node is seen for seen in nodes):
            continue
        nodes.append(node)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return nodes


def test_no_tensor_or_graph_node_survives_a_step():
    """Nothing of a step's graph outlives it: every result tensor and every node, the
    parameters' AccumulateGrad nodes included, is freed at once (without the cycle collector).
    A parameter holds its AccumulateGrad weakly, as PyTorch's tensors do, so the next step's
    graph makes a new one."""
    model, loader, optimizer, loss_fn = setup()
    parameters = list(model.parameters())
    xb, yb = next(iter(loader))
    for _ in range(3):                             # Adam's state exists from the first step on
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            optimizer.zero_grad()
            hidden = model[0](xb)
            activation = model[1](hidden)
            output = model[2](activation)
            loss = loss_fn(output, yb)
            nodes = graph_nodes(loss)
            accumulators = [n for n in nodes if type(n).__name__ == "AccumulateGrad"]
            assert sorted(id(n.variable) for n in accumulators) == sorted(map(id, parameters))
            others = [n for n in nodes if type(n).__name__ != "AccumulateGrad"]
            assert len(others) >= 4                # the loss, two linears, the ReLU
            refs = [weakref.ref(obj)
                    for obj in (hidden, activation, output, loss, *others, *accumulators)]
            loss.backward()
            optimizer.step()
            del hidden, activation, output, loss, nodes, others, accumulators
            alive = [ref() for ref in refs if ref() is not None]
            assert not alive, f"survived the step without gc: {alive}"
        finally:
            if was_enabled:
                gc.enable()
    for p in parameters:
        assert p.grad.grad_fn is None and not p.grad.requires_grad
        assert np.isfinite(p.grad.numpy()).all()


def test_a_requires_grad_input_is_freed_without_gc():
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        x = gg.randn(256, 256, requires_grad=True)
        ref = weakref.ref(x)
        (x * 2.0).sum().backward()
        del x
        assert ref() is None, "a requires_grad leaf survived backward() until gc.collect()"
    finally:
        if was_enabled:
            gc.enable()
