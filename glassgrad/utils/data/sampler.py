"""Samplers: the order in which a DataLoader visits a dataset's indices.

A sampler is an iterable of indices; a batch sampler is an iterable of lists of indices. Random
samplers draw from glassgrad's global generator unless given ``generator=``, so
``glassgrad.manual_seed(s)`` makes every shuffle reproducible.
"""

import numpy as np

from ...random import numpy_generator

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


class Sampler:
    """Base class: subclasses define ``__iter__`` (indices) and usually ``__len__``.

    Example:
        >>> class Reverse(Sampler):
        ...     def __init__(self, n): self.n = n
        ...     def __iter__(self): return iter(range(self.n - 1, -1, -1))
        ...     def __len__(self): return self.n
    """

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__, which yields "
                                  "dataset indices")


class SequentialSampler(Sampler):
    """Indices ``0, 1, ..., len(data_source) - 1`` in order.

    Example:
        >>> list(SequentialSampler(range(3)))
        [0, 1, 2]
    """

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def _index_array(self):
        """The indices ``__iter__`` yields, as one int64 array."""
        return np.arange(len(self.data_source), dtype=np.int64)

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices, or ``num_samples`` draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw uniformly with replacement.
        num_samples: how many indices (default ``len(data_source)``); more than the length
            without replacement repeats whole permutations, as torch.
        generator: the Generator to draw from (default: the global one).

    Example:
        >>> list(RandomSampler(range(4), generator=glassgrad.Generator().manual_seed(0)))
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(self.replacement, bool):
            raise TypeError("replacement should be a boolean value, but got replacement="
                            f"{self.replacement}")
        if not isinstance(self.num_samples, int) or self.num_samples <= 0:
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={self.num_samples}")

    @property
    def num_samples(self):
        if self._num_samples is None:
            return len(self.data_source)
        return self._num_samples

    def __iter__(self):
        return iter(self._index_array().tolist())

    def _index_array(self):
        """The indices of one pass, as one int64 array (drawn from the generator, as
        ``__iter__`` draws them)."""
        n = len(self.data_source)
        rng = numpy_generator(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples).astype(np.int64, copy=False)
        parts = [rng.permutation(n) for _ in range(self.num_samples // n)]
        parts.append(rng.permutation(n)[:self.num_samples % n])
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order.

    Args:
        indices: the indices to visit.
        generator: the Generator to draw from (default: the global one).

    Example:
        >>> list(SubsetRandomSampler([10, 20, 30]))
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        perm = numpy_generator(self.generator).permutation(len(self.indices))
        return iter([self.indices[i] for i in perm])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability ``p_i = w_i / sum(w)``.

    Args:
        weights: non-negative weights, one per index (need not sum to 1).
        num_samples: how many indices to draw.
        replacement: draw with replacement; without it each index appears at most once.
        generator: the Generator to draw from (default: the global one).

    Example:
        >>> list(WeightedRandomSampler([0.1, 0.9], 5))
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if (not isinstance(num_samples, int) or isinstance(num_samples, bool)
                or num_samples <= 0):
            raise ValueError("num_samples should be a positive integer value, but got "
                             f"num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError("replacement should be a boolean value, but got "
                             f"replacement={replacement}")
        weights = np.asarray(weights, dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given "
                             f"weights have shape {tuple(weights.shape)}")
        self.weights = weights
        self.num_samples = num_samples
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        w = self.weights
        if (w < 0).any() or not np.isfinite(w).all() or w.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples "
                               "without replacement")
        rng = numpy_generator(self.generator)
        idx = rng.choice(len(w), size=self.num_samples, replace=self.replacement, p=w / w.sum())
        return iter(idx.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group another sampler's indices into lists of ``batch_size``.

    ``len = ceil(n / batch_size)``, or ``floor(n / batch_size)`` with ``drop_last``.

    Args:
        sampler: an iterable of indices.
        batch_size: indices per batch.
        drop_last: drop the last, short batch.

    Example:
        >>> list(BatchSampler(SequentialSampler(range(5)), 2, drop_last=False))
        [[0, 1], [2, 3], [4]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        if (not isinstance(batch_size, int) or isinstance(batch_size, bool)
                or batch_size <= 0):
            raise ValueError("batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError("drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = batch_size
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def _array_batches(self):
        """The batches ``__iter__`` yields, as int64 arrays sliced from the sampler's whole
        order (``_index_array``): the DataLoader's fast path, with no Python list per batch.
        A generator, so the sampler draws its order at the first batch, as ``__iter__`` does."""
        order = self.sampler._index_array()
        size = self.batch_size
        end = len(order) - len(order) % size if self.drop_last else len(order)
        for start in range(0, end, size):
            yield order[start:start + size]

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size
