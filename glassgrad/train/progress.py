"""ProgressBar: a tqdm bar over each epoch's batches and a one-line summary per epoch.

The bar shows the running loss and is drawn only on a terminal (tqdm's ``disable=None``), so logs
and CI output stay clean; the per-epoch table is printed either way:

    epoch  train_loss  val_loss  val_accuracy        lr   time
        1      1.4023    0.6125        0.8963     0.001   0.1s
"""

import sys

from .callbacks import Callback

__all__ = ["ProgressBar"]

_HIDDEN = {"epoch", "step", "time", "lr"}


class ProgressBar(Callback):
    """Show training progress (tqdm) and print a table row after every epoch.

    Args:
        refresh_rate: update the bar's loss every n batches.
        table: print the per-epoch table.
        file: where to write (default sys.stderr for the bar, sys.stdout for the table).
    """

    def __init__(self, refresh_rate=5, table=True, file=None):
        self.refresh_rate = max(1, int(refresh_rate))
        self.table = table
        self.file = file
        self.bar = None
        self._columns = None

    def on_train_epoch_start(self, trainer, model):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=trainer.num_training_batches, leave=False, unit="batch",
                        desc=f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}",
                        disable=None, file=self.file or sys.stderr, dynamic_ncols=True)

    def on_train_batch_end(self, trainer, model, outputs, batch, batch_idx):
        bar = self.bar
        if bar is None or bar.disable:
            return
        bar.update(1)
        if batch_idx % self.refresh_rate == 0:
            bar.set_postfix(loss=f"{outputs['loss']:.4f}", refresh=False)

    def on_train_epoch_end(self, trainer, model):
        self._close()
        if self.table and trainer.history.epochs:
            self._print_row(trainer.history.epochs[-1])

    def on_fit_end(self, trainer, model):
        self._close()

    def on_exception(self, trainer, model, exception):
        self._close()

    def _close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _print_row(self, row):
        out = self.file or sys.stdout
        if self._columns is None:
            self._columns = [key for key in row if key not in _HIDDEN
                             and not key.startswith(("grad_norm/", "lr-", "momentum-"))]
            header = ["epoch", *self._columns, "lr", "time"]
            print("  ".join(f"{name:>{_width(name)}}" for name in header), file=out)
        cells = [f"{row['epoch'] + 1:>5d}"]
        cells += [_cell(row.get(name), _width(name)) for name in self._columns]
        cells += [f"{row['lr']:>10.3g}", f"{row['time']:>6.2f}s"]
        print("  ".join(cells), file=out, flush=True)


def _width(name):
    return max(len(name), {"epoch": 5, "time": 7}.get(name, 10))


def _cell(value, width):
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.4f}"
