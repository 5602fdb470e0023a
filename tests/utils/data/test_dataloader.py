"""DataLoader: batching, shuffling, len, the TensorDataset fast path, workers, torch's errors."""

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassgrad
from glassgrad.utils import data as gd


def _ds(n=10):
    return gd.TensorDataset(glassgrad.arange(2 * n).reshape(n, 2).float(), glassgrad.arange(n))


def _as_lists(loader):
    return [[t.tolist() for t in batch] for batch in loader]


class _Generic(gd.Dataset):
    """A TensorDataset seen through a plain Dataset, so the loader takes the generic path."""

    def __init__(self, ds):
        self.ds = ds

    def __getitem__(self, i):
        return self.ds[i]

    def __len__(self):
        return len(self.ds)


@pytest.mark.parametrize("n,bs,drop", [(10, 3, False), (10, 3, True), (10, 5, True), (3, 5, False),
                                       (3, 5, True), (1, 1, False)])
def test_len_and_batches_like_torch(n, bs, drop):
    ours = gd.DataLoader(_ds(n), batch_size=bs, drop_last=drop)
    x, y = torch.arange(2 * n).reshape(n, 2).float(), torch.arange(n)
    theirs = tud.DataLoader(tud.TensorDataset(x, y), batch_size=bs, drop_last=drop)
    assert len(ours) == len(theirs)
    assert _as_lists(ours) == _as_lists(theirs)


def test_batch_structure_and_dtypes():
    xb, yb = next(iter(gd.DataLoader(_ds(), batch_size=4)))
    assert xb.shape == (4, 2) and xb.dtype == glassgrad.float32 and yb.dtype == glassgrad.int64


def test_fast_path_equals_generic_path():
    glassgrad.manual_seed(0)
    fast = _as_lists(gd.DataLoader(_ds(), batch_size=3, shuffle=True))
    glassgrad.manual_seed(0)
    generic = _as_lists(gd.DataLoader(_Generic(_ds()), batch_size=3, shuffle=True))
    assert fast == generic
    loader = gd.DataLoader(_ds(), batch_size=3)
    assert gd.dataloader._Fetcher(loader.dataset, True, loader.collate_fn).fast


def test_shuffle_reproducible_with_seed_and_generator():
    glassgrad.manual_seed(5)
    a = _as_lists(gd.DataLoader(_ds(), batch_size=4, shuffle=True))
    glassgrad.manual_seed(5)
    b = _as_lists(gd.DataLoader(_ds(), batch_size=4, shuffle=True))
    assert a == b
    assert sorted(y for batch in a for y in batch[1]) == list(range(10))
    g1, g2 = glassgrad.Generator().manual_seed(1), glassgrad.Generator().manual_seed(1)
    c = _as_lists(gd.DataLoader(_ds(), batch_size=4, shuffle=True, generator=g1))
    d = _as_lists(gd.DataLoader(_ds(), batch_size=4, shuffle=True, generator=g2))
    assert c == d


def test_epochs_reshuffle():
    glassgrad.manual_seed(0)
    loader = gd.DataLoader(_ds(50), batch_size=50, shuffle=True)
    assert _as_lists(loader) != _as_lists(loader)


def test_custom_sampler_batch_sampler_and_collate():
    ds = _ds()
    loader = gd.DataLoader(ds, batch_sampler=[[0, 9], [5]])
    assert [b[1].tolist() for b in loader] == [[0, 9], [5]] and len(loader) == 2
    loader = gd.DataLoader(ds, sampler=[3, 2, 1], batch_size=2)
    assert [b[1].tolist() for b in loader] == [[3, 2], [1]]
    loader = gd.DataLoader(ds, batch_size=2, collate_fn=lambda b: len(b))
    assert list(loader) == [2] * 5


def test_no_auto_batching():
    loader = gd.DataLoader([np.ones(2), np.zeros(2)], batch_size=None)
    out = list(loader)
    assert len(loader) == 2 and isinstance(out[0], glassgrad.Tensor)
    assert out[0].dtype == glassgrad.float64


def test_python_samples_like_torch():
    samples = [{"x": [float(i), 2.0], "label": i, "name": str(i)} for i in range(5)]
    ours = list(gd.DataLoader(samples, batch_size=2))
    theirs = list(tud.DataLoader(samples, batch_size=2))
    for o, t in zip(ours, theirs):
        assert o["name"] == t["name"] and o["label"].tolist() == t["label"].tolist()
        assert [v.tolist() for v in o["x"]] == [v.tolist() for v in t["x"]]


class _Count(gd.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class _TorchCount(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("bs,drop", [(3, False), (3, True), (None, False)])
def test_iterable_dataset_like_torch(bs, drop):
    ours = gd.DataLoader(_Count(7), batch_size=bs, drop_last=drop)
    theirs = tud.DataLoader(_TorchCount(7), batch_size=bs, drop_last=drop)
    assert len(ours) == len(theirs)
    def plain(b):
        return b if isinstance(b, int) else b.tolist()
    assert [plain(b) for b in ours] == [plain(b) for b in theirs]


def test_workers_give_same_batches():
    ds = _ds(23)
    glassgrad.manual_seed(7)
    serial = _as_lists(gd.DataLoader(ds, batch_size=4, shuffle=True))
    glassgrad.manual_seed(7)
    parallel = _as_lists(gd.DataLoader(ds, batch_size=4, shuffle=True, num_workers=2))
    assert parallel == serial
    generic = _as_lists(gd.DataLoader(_Generic(ds), batch_size=5, num_workers=2,
                                      persistent_workers=True))
    assert generic == _as_lists(gd.DataLoader(ds, batch_size=5))


class _WhoLoads(gd.Dataset):
    def __getitem__(self, i):
        info = gd.get_worker_info()
        return -1 if info is None else info.id

    def __len__(self):
        return 8


def test_workers_run_in_worker_processes():
    ids = [b.tolist() for b in gd.DataLoader(_WhoLoads(), batch_size=2, num_workers=2)]
    assert all(i in (0, 1) for batch in ids for i in batch)
    assert gd.get_worker_info() is None


@pytest.mark.parametrize("kwargs,message", [
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching"),
])
def test_argument_errors_like_torch(kwargs, message):
    with pytest.raises(ValueError, match=message):
        tud.DataLoader(tud.TensorDataset(torch.zeros(4)), **kwargs)
    with pytest.raises(ValueError, match=message):
        gd.DataLoader(gd.TensorDataset(glassgrad.zeros(4)), **kwargs)


def test_iterable_dataset_errors():
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        gd.DataLoader(_Count(3), shuffle=True)
    with pytest.raises(ValueError, match="expected unspecified sampler option"):
        gd.DataLoader(_Count(3), sampler=[0])


def test_attributes_frozen():
    loader = gd.DataLoader(_ds(), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        loader.batch_size = 3
