"""trainer-overhead: what ``glassgrad.train.Trainer`` costs on top of the plain loop.

The digits-mlp job (MLP 64-256-256-10, Adam lr 1e-3, batch 64, shuffled DataLoader over the 1797
digits) trained two ways in glassgrad, from the same weights: the plain loop of ``digits_mlp``
(zero_grad, forward, loss, backward, step) and ``Trainer(max_epochs=1, progress=False).fit(...)``
with no run folder. One run is one epoch; a fresh Trainer is made and fitted for each of its
runs, so its setup (callbacks, accumulators, the Ctrl-C guard) is counted every epoch: an upper
bound on what a long ``fit`` pays. What the Trainer adds per step is the bookkeeping it exists
for: ``loss.item()``, the epoch's running loss, per-layer gradient norms (log_every_n_steps=1)
and a History row. The goal: the Trainer's epoch at most 1.05x the plain loop's.
"""

from _harness import Goal, digits, fmt_ratio, goal_rows, interleave, print_table
from _numpy_nets import MLP
from digits_mlp import BATCH, SIZES, FrameworkLoop

GOAL = Goal("Trainer / plain loop", 1.05)


class TrainerLoop(FrameworkLoop):
    """The same model, loader, loss and optimizer, trained by ``Trainer.fit`` one epoch a run."""

    def epoch(self):
        from glassgrad.train import Trainer

        trainer = Trainer(max_epochs=1, progress=False)
        trainer.fit(self.model, self.loader, loss_fn=self.loss_fn, optimizer=self.optimizer)
        return trainer.history


def main(quick=False):
    import glassgrad

    x, y = digits()
    weights = MLP.init(SIZES, 0).params
    plain = FrameworkLoop(glassgrad, SIZES, weights, x, y, BATCH)
    trainer = TrainerLoop(glassgrad, SIZES, weights, x, y, BATCH)
    history = trainer.epoch()
    assert len(history.steps) == len(trainer.loader), history
    repeats = 4 if quick else 20
    result = interleave({"trainer": trainer.epoch, "plain": plain.epoch}, repeats, warmup=1,
                        reference="trainer")
    ms = {name: s * 1e3 for name, s in result["seconds"].items()}
    ratio = result["ratios"]["plain"]
    accuracy = {"trainer": trainer.accuracy(x, y), "plain": plain.accuracy(x, y)}
    rows = [["plain glassgrad loop", f"{ms['plain']:.1f}", f"{accuracy['plain']:.3f}", "1.00x",
             "", ""],
            ["Trainer(progress=False).fit", f"{ms['trainer']:.1f}",
             f"{accuracy['trainer']:.3f}", fmt_ratio(ratio), GOAL.text(), GOAL.verdict(ratio)]]
    print_table("trainer-overhead: digits-mlp through Trainer.fit vs the plain loop",
                ["loop", "ms per epoch", "train accuracy", "time / plain loop", "goal", "met"],
                rows, notes=[f"Medians of {repeats} interleaved epochs; the ratio is the median "
                             "of ratios between neighbouring runs."])
    goals = [(GOAL, ratio)]
    return {"ms_per_epoch": ms, "ratio": ratio, "accuracy": accuracy,
            "goals": [goal.as_dict(r) for goal, r in goals], "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
