"""DataLoader: a dataset + a sampler + a collate function = an iterable of batches.

Each epoch the sampler yields indices, a BatchSampler groups them, and the collate function turns
the samples into one batch. Over a ``TensorDataset`` with ``default_collate`` a batch is one
fancy-indexing per tensor (``t._data[indices]``) rather than ``batch_size`` lookups and a stack.
With ``num_workers > 0`` worker processes fetch and collate batches; order is preserved, and a
worker that dies or raises stops the loop with an error (the protocol is in ``_workers.py``).
"""

import math
import multiprocessing

import numpy as np

from ...random import numpy_generator
from ...tensor import Tensor
from ._collate import default_collate, default_convert
from ._workers import WorkerInfo, WorkerIterator, WorkerPool, get_worker_info
from .dataset import IterableDataset, TensorDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "WorkerInfo"]


class _InfiniteConstantSampler(Sampler):
    """Yields None forever: the sampler of an IterableDataset."""

    def __iter__(self):
        while True:
            yield None


class _Fetcher:
    """Turn a list of indices into a batch (or one index into a sample without batching)."""

    def __init__(self, dataset, auto_collation, collate_fn):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.fast = (auto_collation and collate_fn is default_collate
                     and type(dataset) is TensorDataset
                     and not any(t.requires_grad for t in dataset.tensors))

    def __call__(self, index):
        if self.fast:
            idx = np.asarray(index, dtype=np.int64)
            return [Tensor._make(t._data[idx]) for t in self.dataset.tensors]
        if self.auto_collation:
            return self.collate_fn([self.dataset[i] for i in index])
        return self.collate_fn(self.dataset[index])


class DataLoader:
    """Iterate over a dataset in batches.

    ``len(loader) = ceil(N / batch_size)`` (``floor`` with ``drop_last``), N the number of samples.

    Args:
        dataset: a map-style or iterable-style dataset.
        batch_size: samples per batch; None turns automatic batching off.
        shuffle: reshuffle every epoch (from the global generator, or ``generator``).
        sampler: the index order (excludes ``shuffle``).
        batch_sampler: yields lists of indices (excludes batch_size, shuffle, sampler, drop_last).
        num_workers: worker processes; 0 loads in the main process. A worker that dies (exits,
            segfaults, is killed) raises RuntimeError at once; an exception in a worker is
            raised again here, same type, its message naming the worker.
        collate_fn: list of samples -> batch (default ``default_collate``).
        pin_memory: accepted for compatibility; no effect on CPU.
        drop_last: drop the last, short batch.
        timeout: seconds to wait for a worker's batch (0: as long as the workers live).
        worker_init_fn: called with the worker id in each worker (seeded ``base_seed + id``).
        multiprocessing_context: a context or start-method name (default 'fork' where available;
            with 'spawn' the dataset, collate_fn and worker_init_fn must be picklable).
        generator: the Generator for shuffling and worker seeds.
        prefetch_factor: batches requested ahead, per worker (default 2).
        persistent_workers: keep the workers alive between epochs (until the loader and its
            iterators are garbage-collected).

    Shape:
        a TensorDataset of ``(N, *)`` tensors gives batches ``[(B, *), ...]``.

    Example:
        >>> loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
        >>> for xb, yb in loader:
        ...     loss = loss_fn(model(xb), yb)
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; "
                             "use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in {False, None}:
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self.in_order = in_order
        self._pool = None
        self._initialized = True

    def __setattr__(self, name, value):
        if getattr(self, "_initialized", False) and name in (
                "batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after "
                             f"{self.__class__.__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __len__(self):
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    return length // self.batch_size
                return math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def __iter__(self):
        base_seed = int(numpy_generator(self.generator).integers(0, 2 ** 62))
        fetcher = _Fetcher(self.dataset, self._auto_collation, self.collate_fn)
        if self._iterable:
            return self._iter_iterable()
        if self.num_workers == 0:
            batches = self._index_sampler
            if (fetcher.fast and type(batches) is BatchSampler
                    and type(batches.sampler) in (RandomSampler, SequentialSampler)):
                batches = batches._array_batches()  # the same batches, as index arrays
            return (fetcher(index) for index in batches)
        return self._iter_workers(fetcher, base_seed)

    def _iter_iterable(self):
        samples = iter(self.dataset)
        if not self._auto_collation:
            for sample in samples:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in samples:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _context(self):
        ctx = self.multiprocessing_context
        if ctx is None:
            methods = multiprocessing.get_all_start_methods()
            return multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        if isinstance(ctx, str):
            return multiprocessing.get_context(ctx)
        return ctx

    def _iter_workers(self, fetcher, base_seed):
        """Batches from worker processes: this epoch's own, or the persistent ones."""
        pool = self._pool
        if pool is None or pool.closed:  # first epoch, not persistent, or a worker died
            pool = WorkerPool(self._context(), fetcher, self.num_workers, base_seed,
                              self.worker_init_fn)
            if self.persistent_workers:
                self._pool = pool
        return WorkerIterator(pool, self._index_sampler, self.prefetch_factor * self.num_workers,
                              self.timeout, owns_pool=not self.persistent_workers)
