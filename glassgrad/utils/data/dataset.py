"""Datasets: map-style (``__getitem__`` + ``__len__``) and iterable-style (``__iter__``).

A map-style dataset answers ``dataset[i]`` for ``0 <= i < len(dataset)``; the DataLoader asks a
sampler for indices and collates the samples into batches. ``TensorDataset`` is the common case:
row ``i`` of each of several tensors that share their first dimension.
"""

import bisect
import math
import warnings

import numpy as np

from ...random import numpy_generator

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "random_split"]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__`` (and usually ``__len__``).

    Example:
        >>> class Squares(Dataset):
        ...     def __len__(self): return 10
        ...     def __getitem__(self, i): return i * i
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """An iterable-style dataset: subclasses define ``__iter__`` yielding samples.

    With ``num_workers > 0`` glassgrad still reads an IterableDataset in the main process.

    Example:
        >>> class Count(IterableDataset):
        ...     def __iter__(self): return iter(range(5))
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        raise TypeError("ConcatDataset does not support IterableDataset")


class TensorDataset(Dataset):
    """Row ``i`` of every tensor, as a tuple: ``dataset[i] = (t[i] for t in tensors)``.

    Args:
        *tensors: tensors with the same size of their first dimension.

    Shape:
        each tensor ``(N, *)``; a sample is a tuple of ``(*)`` tensors.

    Example:
        >>> ds = TensorDataset(glassgrad.randn(100, 3), glassgrad.randn(100, 1))
        >>> x, y = ds[0]
    """

    def __init__(self, *tensors):
        if any(tensors[0].size(0) != t.size(0) for t in tensors):
            raise AssertionError("Size mismatch between tensors")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``subset[i] = dataset[indices[i]]``.

    Args:
        dataset: the whole dataset.
        indices: the positions to keep, in order.

    Example:
        >>> evens = Subset(ds, range(0, len(ds), 2))
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)


class ConcatDataset(Dataset):
    """Several datasets one after the other.

    Index ``i`` falls in the first dataset whose cumulative size exceeds ``i``.

    Args:
        datasets: map-style datasets.

    Example:
        >>> both = ConcatDataset([train, extra])
    """

    @staticmethod
    def cumsum(sequence):
        r, s = [], 0
        for e in sequence:
            s += len(e)
            r.append(s)
        return r

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if len(self.datasets) == 0:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random Subsets of the given lengths.

    Fractions summing to 1 become lengths ``floor(n * f)``; the remainder is dealt one at a time,
    round-robin, to the first splits (as torch).

    Args:
        dataset: the dataset to split.
        lengths: sizes (summing to ``len(dataset)``) or fractions (summing to 1).
        generator: the Generator for the permutation (default: the global one).

    Example:
        >>> g = glassgrad.Generator().manual_seed(0)
        >>> train, val = random_split(ds, [0.8, 0.2], generator=g)
    """
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(int(math.floor(n * frac)))
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. "
                              f"This might result in an empty dataset.")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    perm = numpy_generator(generator).permutation(n).tolist()
    ends = np.cumsum(lengths).tolist()
    return [Subset(dataset, perm[end - length:end]) for end, length in zip(ends, lengths)]
