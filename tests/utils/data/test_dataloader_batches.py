"""The DataLoader over a TensorDataset with default collation and a Random or Sequential sampler
(batches cut from the sampler's index array) gives exactly the batches, and leaves exactly the
random state, of the general path (a list of indices per batch, samples collated one by one)."""

import numpy as np
import pytest

import glassgrad as gg
from glassgrad.utils.data import DataLoader, Dataset, TensorDataset


class PlainDataset(Dataset):
    """The same samples through the general path (not a TensorDataset)."""

    def __init__(self, *tensors):
        self.tensors = tensors

    def __getitem__(self, i):
        return tuple(t[i] for t in self.tensors)

    def __len__(self):
        return len(self.tensors[0])


def epochs(dataset, seed, epochs=2, **kwargs):
    gg.manual_seed(seed)
    loader = DataLoader(dataset, **kwargs)
    batches = [[tuple(t.numpy() for t in batch) for batch in loader] for _ in range(epochs)]
    return batches, gg.rand(3).numpy()  # what the generator gives next


@pytest.mark.parametrize("kwargs", [
    dict(batch_size=4, shuffle=True), dict(batch_size=4, shuffle=True, drop_last=True),
    dict(batch_size=3), dict(batch_size=5, drop_last=True), dict(batch_size=64, shuffle=True),
    dict(batch_size=2, sampler=None, shuffle=True, generator=None),
])
def test_fast_path_gives_the_general_paths_batches_and_random_state(kwargs):
    x = gg.arange(22 * 3, dtype=gg.float32).reshape(22, 3)
    y = gg.arange(22)
    fast, fast_next = epochs(TensorDataset(x, y), 7, **kwargs)
    plain, plain_next = epochs(PlainDataset(x, y), 7, **kwargs)
    assert len(fast) == len(plain)
    for fast_epoch, plain_epoch in zip(fast, plain):
        assert len(fast_epoch) == len(plain_epoch)
        for (fx, fy), (px, py) in zip(fast_epoch, plain_epoch):
            np.testing.assert_array_equal(fx, px)
            np.testing.assert_array_equal(fy, py)
            assert fy.dtype == py.dtype
    np.testing.assert_array_equal(fast_next, plain_next)


def test_a_random_sampler_with_replacement_and_a_generator():
    from glassgrad.utils.data import RandomSampler

    x = gg.arange(10, dtype=gg.float32)
    ds = TensorDataset(x)
    sampler = RandomSampler(ds, replacement=True, num_samples=13,
                            generator=gg.Generator().manual_seed(3))
    fast = [b[0].numpy() for b in DataLoader(ds, batch_size=4, sampler=sampler)]
    sampler.generator.manual_seed(3)
    expected = list(sampler)
    assert np.concatenate(fast).tolist() == [float(i) for i in expected]
    assert [len(b) for b in fast] == [4, 4, 4, 1]
