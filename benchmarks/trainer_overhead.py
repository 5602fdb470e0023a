"""trainer-overhead: what ``glassgrad.train.Trainer`` costs on top of the plain loop.

The digits-mlp job (MLP 64-256-256-10, Adam lr 1e-3, batch 64, shuffled DataLoader over the 1797
digits) trained two ways in glassgrad: the plain loop of ``digits_mlp`` (zero_grad, forward,
loss, backward, step) and ``Trainer(progress=False).fit(...)`` with no run folder. What the
Trainer adds per step is the bookkeeping it exists for: ``loss.item()``, the epoch's running
loss, per-layer gradient norms (log_every_n_steps=1) and a History row; per epoch, the epoch's
row and the random state a mid-epoch checkpoint would need; per ``fit``, its setup (callbacks,
accumulators, the Ctrl-C guard). The goal: a training run through the Trainer at most 1.05x the
plain loop's time.

One run is ``EPOCHS`` epochs: one ``fit(max_epochs=EPOCHS)`` against ``EPOCHS`` plain epochs, as
a user trains (fit once, for many epochs). A second Trainer row fits one epoch at a time, a new
Trainer each, which pays the setup every epoch: an upper bound, shown for information.

Both ways train the *same* model, optimizer and loader, taking turns. Two separately built
copies of one model do not run at the same speed here: two plain loops over two model instances
measured 0.96-0.99x of each other (where their arrays landed in memory), as large as the effect
being measured. One shared instance leaves only the loop's own cost as the difference; ``main``
also times the plain loop twice and prints that control ratio, which should read 1.00x.
"""

import statistics

from _harness import (
    Goal,
    digits,
    fmt_ratio,
    goal_dicts,
    goal_rows,
    interleave,
    middle_half,
    print_table,
)
from _numpy_nets import MLP
from digits_mlp import BATCH, SIZES, FrameworkLoop

GOAL = Goal("Trainer / plain loop", 1.05)


EPOCHS = 5


class Runs:
    """One run of each way, ``EPOCHS`` epochs each, on one plain loop's model, loader, loss and
    optimizer (so that every way trains the same model, taking turns)."""

    def __init__(self, plain):
        self.plain = plain

    def plain_epochs(self):
        for _ in range(EPOCHS):
            self.plain.epoch()

    def fit(self, epochs=EPOCHS):
        from glassgrad.train import Trainer

        plain = self.plain
        trainer = Trainer(max_epochs=epochs, progress=False)
        trainer.fit(plain.model, plain.loader, loss_fn=plain.loss_fn, optimizer=plain.optimizer)
        return trainer.history

    def fit_one_epoch_at_a_time(self):
        for _ in range(EPOCHS):
            self.fit(epochs=1)


def main(quick=False):
    import glassgrad

    x, y = digits()
    weights = MLP.init(SIZES, 0).params
    plain = FrameworkLoop(glassgrad, SIZES, weights, x, y, BATCH)
    runs = Runs(plain)
    history = runs.fit()
    assert len(history.steps) == EPOCHS * len(plain.loader), history
    repeats = 4 if quick else 12
    result = interleave({"trainer": runs.fit, "plain": runs.plain_epochs,
                         "plain again": runs.plain_epochs,
                         "trainer, one epoch a fit": runs.fit_one_epoch_at_a_time},
                        repeats, warmup=1, reference="trainer")
    ms = {name: s * 1e3 / EPOCHS for name, s in result["seconds"].items()}  # per epoch
    samples = result["samples"]

    def ratios_to_plain(name):  # each round's (this way / the plain loop)
        return [a / b for a, b in zip(samples[name], samples["plain"])]

    def ratio_to_plain(name):  # their median
        return statistics.median(ratios_to_plain(name))

    ratio = ratio_to_plain("trainer")
    control = ratio_to_plain("plain again")  # 1.00x when the timing is fair
    one_at_a_time = ratio_to_plain("trainer, one epoch a fit")
    accuracy = plain.accuracy(x, y)
    rows = [["plain glassgrad loop", f"{ms['plain']:.1f}", "1.00x", "", ""],
            ["plain glassgrad loop, timed again (control)", f"{ms['plain again']:.1f}",
             fmt_ratio(control), "", ""],
            [f"Trainer(progress=False).fit, {EPOCHS} epochs", f"{ms['trainer']:.1f}",
             fmt_ratio(ratio), GOAL.text(), GOAL.verdict(ratio)],
            ["Trainer(progress=False).fit, a new Trainer every epoch",
             f"{ms['trainer, one epoch a fit']:.1f}", fmt_ratio(one_at_a_time), "", ""]]
    print_table("trainer-overhead: digits-mlp through Trainer.fit vs the plain loop",
                ["loop", "ms per epoch", "time / plain loop", "goal", "met"],
                rows, notes=[f"Medians of {repeats} interleaved runs of {EPOCHS} epochs; each "
                             "ratio is the median of ratios between neighbouring runs. All the "
                             "loops train one model in turns (train accuracy after the runs: "
                             f"{accuracy:.3f})."])
    goals = [(GOAL, ratio, middle_half(ratios_to_plain("trainer")))]
    return {"ms_per_epoch": ms, "ratio": ratio, "control_ratio": control,
            "one_epoch_a_fit_ratio": one_at_a_time, "accuracy": accuracy,
            "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
