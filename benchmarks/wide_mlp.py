"""wide-mlp: where the matrix products dominate, glassgrad should cost what NumPy costs.

An MLP 1024-1024-1024-10 (ReLU, cross-entropy, Adam lr 1e-3), batch 512, over 8192 rows of random
data (standard normal inputs, random labels), one run = one shuffled epoch of 16 steps. Each step
multiplies 512x1024 by 1024x1024 matrices a few times, so almost all of the time is BLAS; what
glassgrad adds on top of the hand-written NumPy version (``_numpy_nets``) is its bookkeeping,
extra copies and temporaries. PyTorch is shown for reference (its own BLAS, all cores).
The goal: glassgrad at most 1.1x the NumPy baseline's time.
"""

from _harness import (
    Goal,
    fmt_ratio,
    goal_dicts,
    goal_rows,
    interleave,
    print_table,
    random_classification,
)
from digits_mlp import make_trainers

SIZES = (1024, 1024, 1024, 10)
BATCH = 512
GOAL = Goal("glassgrad / NumPy", 1.10)


def main(quick=False):
    rows_count = 2048 if quick else 8192
    x, y = random_classification(rows_count, SIZES[0], SIZES[-1])
    trainers = make_trainers(SIZES, x, y, BATCH)
    repeats = 2 if quick else 7
    result = interleave({name: t.epoch for name, t in trainers.items()}, repeats, warmup=1)
    ms = {name: s * 1e3 for name, s in result["seconds"].items()}
    ratios = result["ratios"]
    steps = rows_count // BATCH
    rows = [["glassgrad", f"{ms['glassgrad']:.0f}", f"{ms['glassgrad'] / steps:.1f}", "1.00x",
             "", ""],
            ["PyTorch", f"{ms['torch']:.0f}", f"{ms['torch'] / steps:.1f}",
             fmt_ratio(ratios["torch"]), "", ""],
            ["NumPy by hand", f"{ms['numpy']:.0f}", f"{ms['numpy'] / steps:.1f}",
             fmt_ratio(ratios["numpy"]), GOAL.text(), GOAL.verdict(ratios["numpy"])]]
    print_table(f"wide-mlp: MLP 1024-1024-1024-10, Adam, batch {BATCH}, {rows_count} random rows",
                ["library", "ms per epoch", "ms per step", "glassgrad's time / this", "goal",
                 "met"], rows,
                notes=[f"Medians of {repeats} interleaved epochs of {steps} steps each."])
    goals = [(GOAL, ratios["numpy"], result["spreads"]["numpy"])]
    return {"ms_per_epoch": ms, "ratios": ratios,
            "goals": goal_dicts(goals),
            "goal_rows": goal_rows(goals)}


if __name__ == "__main__":
    main()
