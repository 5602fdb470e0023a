"""History: what happened in every step and every epoch of a run, as rows of numbers.

Each optimizer step adds a row to ``history.steps`` and each epoch a row to ``history.epochs``;
a row is a dict of plain floats and ints. A step row holds ``epoch``, ``step``, ``train_loss``
(the batch loss), ``lr``, ``time`` (seconds for the step) and ``grad_norm/<layer>``, the L2 norm
of each layer's gradients just before the update; an epoch row holds ``epoch``, ``step``,
``train_loss``, ``val_loss``, every metric as ``train_<name>`` / ``val_<name>``, ``lr`` and
``time``. ``to_csv`` writes both kinds into one ``metrics.csv`` (a ``kind`` column says which),
as Lightning's CSVLogger does. ``snapshots`` holds copies of the weights and gradients per
epoch when a ``WeightMonitor`` records them (``save_snapshots`` / ``from_run``).

Example:
    >>> history = trainer.fit(model, loader, loss_fn=nn.MSELoss())
    >>> history.epoch_values("train_loss")
    [0.91, 0.42, 0.27]
"""

import csv
import os

from .._atomic import atomic_write

__all__ = ["History"]


class History:
    """Step and epoch records of a training run (see the module docstring for the columns)."""

    def __init__(self):
        self.steps = []
        self.epochs = []
        self.snapshots = []

    def log_step(self, row):
        self.steps.append(row)

    def log_epoch(self, row):
        self.epochs.append(row)

    def epoch_values(self, key):
        """The value of ``key`` for every epoch that logged it."""
        return [row[key] for row in self.epochs if key in row]

    def step_values(self, key):
        """The value of ``key`` for every step that logged it."""
        return [row[key] for row in self.steps if key in row]

    def keys(self, kind="epoch"):
        """The column names used by the epoch (or step) rows, in first-seen order."""
        rows = self.epochs if kind == "epoch" else self.steps
        seen = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def to_csv(self, path):
        """Write every step and epoch row to ``path``; blank cells where a row lacks a column.

        The file is written to a temporary name and renamed over ``path``, so a reader never
        sees half a file.
        """
        rows = ([{"kind": "step", **row} for row in self.steps]
                + [{"kind": "epoch", **row} for row in self.epochs])
        rows.sort(key=lambda row: (row.get("step", 0), row["kind"] == "epoch"))
        columns = ["kind", *dict.fromkeys(["epoch", "step", *self.keys("step"),
                                           *self.keys("epoch")])]
        with atomic_write(path, newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)

    @classmethod
    def from_csv(cls, path):
        """Read a ``metrics.csv`` written by ``to_csv`` back into a History.

        Every row must have ``kind`` "step" or "epoch" and every other cell must be a number or
        empty; anything else is a ValueError naming the file, the line and the column.
        """
        history = cls()
        name = os.path.basename(path)
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if "kind" not in (reader.fieldnames or ()):
                raise ValueError(f"{name} has no 'kind' column: not a glassgrad metrics file")
            for row in reader:
                kind = row.pop("kind")
                if kind not in ("step", "epoch") or None in row:
                    raise ValueError(f"{name}, line {reader.line_num}: expected a step or epoch "
                                     "row with one cell per column")
                values = {key: _number(value, name, reader.line_num, key)
                          for key, value in row.items() if value not in ("", None)}
                (history.steps if kind == "step" else history.epochs).append(values)
        return history

    def save_snapshots(self, path):
        """Write the weight snapshots to a safetensors file (``<i>/<weights|grads>/<name>``)."""
        from ..serialization import save
        from ..tensor import Tensor

        tensors, epochs = {}, []
        for i, snapshot in enumerate(self.snapshots):
            epochs.append(str(snapshot["epoch"]))
            for kind in ("weights", "grads"):
                for name, array in snapshot[kind].items():
                    tensors[f"{i}/{kind}/{name}"] = Tensor._make(array)
        save(tensors, path, metadata={"epochs": ",".join(epochs)})

    @staticmethod
    def load_snapshots(path):
        """The snapshots saved by ``save_snapshots``; a file laid out otherwise is a ValueError."""
        from safetensors import safe_open

        name = os.path.basename(path)
        with safe_open(path, framework="numpy") as handle:
            epochs = _snapshot_epochs(handle.metadata(), name)
            snapshots = [{"epoch": epoch, "weights": {}, "grads": {}} for epoch in epochs]
            for key in handle.keys():
                index, kind, layer = _snapshot_key(key, len(snapshots), name)
                snapshots[index][kind][layer] = handle.get_tensor(key)
        return snapshots

    @classmethod
    def from_run(cls, folder):
        """The History of a run folder: ``metrics.csv`` and, if present, ``weights.safetensors``."""
        from .run_folder import RunFolder

        run = RunFolder(folder)
        history = cls.from_csv(run.metrics)
        weights = run.weights
        if os.path.exists(weights):
            history.snapshots = cls.load_snapshots(weights)
        return history

    def state_dict(self):
        return {"steps": self.steps, "epochs": self.epochs, "snapshots": self.snapshots}

    def load_state_dict(self, state):
        self.steps = [dict(row) for row in state["steps"]]
        self.epochs = [dict(row) for row in state["epochs"]]
        self.snapshots = [
            {"epoch": snapshot["epoch"],
             **{kind: {name: getattr(value, "_data", value) for name, value in
                       snapshot[kind].items()} for kind in ("weights", "grads")}}
            for snapshot in state.get("snapshots", [])]

    def __len__(self):
        return len(self.epochs)

    def __repr__(self):
        return f"History({len(self.epochs)} epochs, {len(self.steps)} steps)"


def _number(text, name, line, column):
    """An int if the text is one, else a float; a ValueError naming the cell otherwise."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}, line {line}: column {column!r} holds {text[:40]!r}, not a "
                         "number") from None


def _snapshot_epochs(metadata, name):
    """The epoch numbers a snapshot file's metadata lists (``"0,1,2"``)."""
    text = (metadata or {}).get("epochs")
    parts = [part for part in (text or "").split(",") if part]
    if text is None or not all(part.isdigit() for part in parts):
        raise ValueError(f"{name}: expected an 'epochs' list of whole numbers in its metadata")
    return [int(part) for part in parts]


def _snapshot_key(key, count, name):
    """``(index, "weights" | "grads", layer)`` of a snapshot entry's key ``<i>/<kind>/<name>``."""
    index, _, rest = key.partition("/")
    kind, _, layer = rest.partition("/")
    if not (index.isdigit() and int(index) < count and kind in ("weights", "grads") and layer):
        raise ValueError(f"{name}: unexpected entry {key[:60]!r} (expected <snapshot>/weights/"
                         f"<name> or <snapshot>/grads/<name>, with fewer than {count} snapshots)")
    return int(index), kind, layer
