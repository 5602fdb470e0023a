"""Datasets and samplers: behaviour and torch parity where the result is deterministic."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassgrad
from glassgrad.utils import data as gd


def test_tensor_dataset():
    x, y = glassgrad.arange(12).reshape(6, 2), glassgrad.arange(6)
    ds = gd.TensorDataset(x, y)
    assert len(ds) == 6
    xi, yi = ds[2]
    assert xi.tolist() == [4, 5] and yi.item() == 2


def test_tensor_dataset_size_mismatch():
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        gd.TensorDataset(glassgrad.zeros(3), glassgrad.zeros(4))


def test_subset_and_concat():
    ds = gd.TensorDataset(glassgrad.arange(5))
    sub = gd.Subset(ds, [4, 0])
    assert len(sub) == 2 and sub[0][0].item() == 4
    cat = gd.ConcatDataset([ds, sub])
    assert len(cat) == 7 and cat[5][0].item() == 4 and cat[-1][0].item() == 0
    assert cat.cumulative_sizes == tud.ConcatDataset([range(5), range(2)]).cumulative_sizes
    assert len(ds + sub) == 7


def test_concat_rejects_iterable():
    class It(gd.IterableDataset):
        def __iter__(self):
            return iter(range(3))
    with pytest.raises(AssertionError):
        gd.ConcatDataset([It()])


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.33, 0.33, 0.34], [0.5, 0.25, 0.25]])
def test_random_split_lengths_like_torch(lengths):
    ours = gd.random_split(range(10), lengths, generator=glassgrad.Generator().manual_seed(0))
    theirs = tud.random_split(range(10), lengths, generator=torch.Generator().manual_seed(0))
    assert [len(s) for s in ours] == [len(s) for s in theirs]
    assert sorted(i for s in ours for i in s.indices) == list(range(10))


def test_random_split_reproducible_and_errors():
    a = gd.random_split(range(10), [5, 5], generator=glassgrad.Generator().manual_seed(1))
    b = gd.random_split(range(10), [5, 5], generator=glassgrad.Generator().manual_seed(1))
    assert a[0].indices == b[0].indices
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        gd.random_split(range(10), [5, 6])


def test_sequential_and_batch_sampler_like_torch():
    for n, bs, drop in [(10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False)]:
        ours = gd.BatchSampler(gd.SequentialSampler(range(n)), bs, drop)
        theirs = tud.BatchSampler(tud.SequentialSampler(range(n)), bs, drop)
        assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_batch_sampler_errors():
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        gd.BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean"):
        gd.BatchSampler(range(3), 1, 0)


def test_random_sampler():
    s = gd.RandomSampler(range(10), generator=glassgrad.Generator().manual_seed(0))
    assert sorted(s) == list(range(10)) and len(s) == 10
    s = gd.RandomSampler(range(4), num_samples=10)
    assert len(list(s)) == 10 and len(s) == 10
    s = gd.RandomSampler(range(4), replacement=True, num_samples=20)
    assert all(0 <= i < 4 for i in s)
    glassgrad.manual_seed(3)
    a = list(gd.RandomSampler(range(10)))
    glassgrad.manual_seed(3)
    assert list(gd.RandomSampler(range(10))) == a
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        gd.RandomSampler(range(4), num_samples=0)


def test_subset_random_sampler():
    s = gd.SubsetRandomSampler([10, 20, 30])
    assert sorted(s) == [10, 20, 30] and len(s) == 3


def test_weighted_random_sampler():
    g = glassgrad.Generator().manual_seed(0)
    s = gd.WeightedRandomSampler([0.0, 1.0, 3.0], 1000, generator=g)
    counts = np.bincount(list(s), minlength=3)
    assert counts[0] == 0 and 650 < counts[2] < 850 and len(s) == 1000
    s = gd.WeightedRandomSampler([1.0, 1.0, 1.0], 3, replacement=False)
    assert sorted(s) == [0, 1, 2]
    with pytest.raises(RuntimeError):
        list(gd.WeightedRandomSampler([1.0, 0.0], 2, replacement=False))
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        gd.WeightedRandomSampler([1.0], 0)
