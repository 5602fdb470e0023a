"""F.embedding and nn.Embedding against PyTorch: rows looked up, gradients scatter-added (rows
used twice add up), padding_idx rows get no gradient, scale_grad_by_freq, max_norm's in-place
renormalisation, from_pretrained, second derivatives, reprs and errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from parity import assert_close, check_parity, gradcheck_both

import glassgrad as gg
import glassgrad.nn as nn
import glassgrad.nn.functional as F

RNG = np.random.default_rng(0)
WEIGHT = RNG.normal(size=(7, 3))


def embed(**kwargs):
    """(glassgrad, torch) versions of fn(weight, indices) = embedding(indices, weight, ...)."""
    return (lambda w, i: F.embedding(i, w, **kwargs)), (lambda w, i: TF.embedding(i, w, **kwargs))


@settings(max_examples=15)
@given(indices=hnp.arrays(np.int64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
                          elements=st.integers(0, 6)),
       dtype=st.sampled_from([np.float32, np.float64]),
       padding_idx=st.sampled_from([None, 0, 3, -1]),
       by_freq=st.booleans())
def test_embedding_matches_torch(indices, dtype, padding_idx, by_freq):
    ours, theirs = embed(padding_idx=padding_idx, scale_grad_by_freq=by_freq)
    check_parity(ours, [WEIGHT.astype(dtype), indices], torch_fn=theirs)


def test_repeated_rows_add_up_and_the_padding_row_gets_nothing():
    w = gg.tensor(WEIGHT, requires_grad=True)
    out = F.embedding(gg.tensor([[1, 2, 1], [2, 2, 5]]), w, padding_idx=5)
    out.backward(gg.ones(2, 3, 3))
    counts = np.array([0, 2, 3, 0, 0, 0, 0])  # row 5 is read but is the padding row
    np.testing.assert_array_equal(w.grad.numpy(), np.repeat(counts[:, None], 3, axis=1))
    assert_close(out[1, 2], w[5])  # the padding row's values are still read


def test_int32_indices_and_0d_index():
    check_parity(*embed()[:1], [WEIGHT, np.array([[0, 6], [3, 3]], np.int32)],
                 torch_fn=embed()[1])
    check_parity(embed()[0], [WEIGHT, np.array(4)], torch_fn=embed()[1])


def test_gradcheck_and_second_derivatives():
    # (padding_idx and scale_grad_by_freq deliberately differ from the true derivative, as in
    # torch, so they are compared with torch above rather than with finite differences)
    indices = gg.tensor([[0, 2, 2], [5, 1, 0]])
    gradcheck_both(lambda w: F.embedding(indices, w), [WEIGHT])
    # through a nonlinearity, the second derivative flows back through the scatter
    results = []
    for f, lib in ((F, gg), (TF, torch)):
        w = lib.tensor(WEIGHT, requires_grad=True)
        out = f.embedding(lib.tensor([[0, 2, 2], [5, 1, 0]]), w, padding_idx=1)
        (g,) = lib.autograd.grad((out ** 3).sum(), [w], create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), [w])
        results.append((g, h))
    assert_close(results[0][0], results[1][0], rtol=1e-10)
    assert_close(results[0][1], results[1][1], rtol=1e-10)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0])
def test_max_norm_renormalises_the_rows_read_in_place_like_torch(norm_type):
    weight = RNG.normal(size=(6, 4)) * 2
    indices = np.array([[0, 1, 1], [4, 5, 0]])
    ours_w, theirs_w = gg.tensor(weight, requires_grad=True), torch.tensor(weight,
                                                                           requires_grad=True)
    ours = F.embedding(gg.tensor(indices), ours_w, max_norm=1.5, norm_type=norm_type)
    theirs = TF.embedding(torch.tensor(indices), theirs_w, max_norm=1.5, norm_type=norm_type)
    assert_close(ours, theirs, rtol=1e-10)
    assert_close(ours_w, theirs_w, rtol=1e-10)  # rows 0, 1, 4, 5 rescaled, 2 and 3 untouched
    np.testing.assert_array_equal(ours_w.detach().numpy()[2:4], weight[2:4])
    assert ours_w._version == 1
    upstream = RNG.normal(size=ours.shape)
    ours.backward(gg.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    assert_close(ours_w.grad, theirs_w.grad, rtol=1e-10)


def test_module_matches_torch():
    theirs = torch.nn.Embedding(7, 3, padding_idx=2)
    ours = nn.Embedding(7, 3, padding_idx=2)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == ["weight"] and ours.weight.shape == (7, 3)
    ours.load_state_dict({"weight": gg.tensor(theirs.weight.detach().numpy())})
    indices = np.array([[2, 3, 3], [6, 0, 2]])
    out_ours, out_theirs = ours(gg.tensor(indices)), theirs(torch.tensor(indices))
    assert_close(out_ours, out_theirs)
    upstream = RNG.normal(size=(2, 3, 3)).astype(np.float32)
    out_ours.backward(gg.tensor(upstream))
    out_theirs.backward(torch.tensor(upstream))
    assert_close(ours.weight.grad, theirs.weight.grad)
    assert not ours.weight.grad.numpy()[2].any()


def test_module_initialisation():
    gg.manual_seed(0)
    emb = nn.Embedding(1000, 50, padding_idx=-1)
    assert emb.padding_idx == 999
    values = emb.weight.detach().numpy().copy()
    assert not values[999].any()  # the padding row starts at zero
    assert abs(values[:999].mean()) < 0.02 and abs(values[:999].std() - 1) < 0.02  # N(0, 1)
    gg.manual_seed(0)
    again = nn.Embedding(1000, 50, padding_idx=-1).weight.detach().numpy()
    np.testing.assert_array_equal(again, values)
    assert nn.Embedding(3, 2, dtype=gg.float64).weight.dtype == gg.float64
    emb.reset_parameters()
    redrawn = emb.weight.detach().numpy()
    assert not redrawn[999].any() and redrawn[:999].std() > 0.9 and (redrawn != values).any()


def test_from_pretrained():
    table = gg.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    emb = nn.Embedding.from_pretrained(table)
    assert emb.weight.requires_grad is False and emb.num_embeddings == 2
    assert_close(emb(gg.tensor([1])), torch.tensor([[4.0, 5.1, 6.3]]))
    trainable = nn.Embedding.from_pretrained(table, freeze=False, padding_idx=0)
    assert trainable.weight.requires_grad
    assert trainable.weight.detach().numpy()[0].any()  # the padding row is not zeroed
    trainable(gg.tensor([0, 1, 1])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy(), [[0, 0, 0], [2, 2, 2]])
    for module, lib in ((nn, gg), (torch.nn, torch)):
        with pytest.raises(AssertionError, match="Embeddings parameter is expected to be "
                                                 "2-dimensional"):
            module.Embedding.from_pretrained(lib.ones(3))


def test_reprs_match_torch():
    for args, kwargs in [((10, 3), {}), ((10, 3), {"padding_idx": -1, "max_norm": 1.0,
                                                   "norm_type": 1.0, "scale_grad_by_freq": True,
                                                   "sparse": True}),
                         ((5, 2), {"padding_idx": 0, "norm_type": 2})]:
        assert repr(nn.Embedding(*args, **kwargs)) == repr(torch.nn.Embedding(*args, **kwargs))


def test_errors_like_torch():
    for module, f, lib in ((nn, F, gg), (torch.nn, TF, torch)):
        emb = module.Embedding(10, 3)
        for bad in ([10], [-1], [[0, 11]]):
            with pytest.raises(IndexError, match="index out of range in self"):
                emb(lib.tensor(bad))
        with pytest.raises(RuntimeError, match=r"Expected tensor for argument #1 'indices' to "
                                               r"have one of the following scalar types: Long, "
                                               r"Int; but got \w+\.FloatTensor instead"):
            emb(lib.tensor([1.0]))
        for padding_idx in (10, -11):
            with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
                module.Embedding(10, 3, padding_idx=padding_idx)
            with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
                f.embedding(lib.tensor([1]), lib.ones(10, 2), padding_idx=padding_idx)
        with pytest.raises(RuntimeError, match="'weight' must be 2-D"):
            f.embedding(lib.tensor([1]), lib.ones(3))
