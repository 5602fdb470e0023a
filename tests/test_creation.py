"""Creating tensors, against real PyTorch: dtype inference, memory sharing, filled and random
factories, ``*_like`` forms, seeds and generators, the default dtype.

Random values cannot match torch's (another algorithm); for them the tests compare shapes, dtypes,
ranges, statistics and reproducibility.
"""

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import glassgrad as gg

# ----------------------------------------------------------------------------- helpers


def _plain(value):
    if isinstance(value, (gg.Tensor, torch.Tensor)):
        return value.detach().numpy()
    if isinstance(value, (gg.dtype, torch.dtype, gg.Size, torch.Size, gg.device, torch.device)):
        return repr(value).replace("torch.", "glassgrad.")
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def assert_same(ours, theirs, rtol=0.0, atol=0.0):
    """Same structure, dtype, shape and values (exactly, unless tolerances are given)."""
    a, b = _plain(ours), _plain(theirs)
    if isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray), f"{a!r} is not a tensor like {b!r}"
        assert a.dtype == b.dtype, f"dtype {a.dtype} != torch's {b.dtype}"
        assert a.shape == b.shape, f"shape {a.shape} != torch's {b.shape}"
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True)
    elif isinstance(b, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b), f"{a!r} != {b!r}"
        for x, y in zip(a, b):
            assert_same(x, y, rtol, atol)
    else:
        assert type(a) is type(b) and a == b, f"{a!r} != torch's {b!r}"


def same(fn, **tolerances):
    assert_same(fn(gg), fn(torch), **tolerances)


def same_or_same_error(fn, **tolerances):
    """Same result, or the same exception type when torch raises."""
    try:
        expected = fn(torch)
    except Exception as error:  # noqa: BLE001 - any exception torch raises must be mirrored
        with pytest.raises(type(error)):
            fn(gg)
        return
    assert_same(fn(gg), expected, **tolerances)


def same_error(fn, exact=True):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    with pytest.raises(Exception) as ours:
        fn(gg)
    assert type(ours.value) is type(theirs.value), (ours.value, theirs.value)
    if exact:
        assert str(ours.value) == str(theirs.value).replace("torch.", "glassgrad.")


@pytest.fixture
def restore_default_dtype():
    """Put both libraries' default dtype back, whatever the test did."""
    yield
    gg.set_default_dtype(gg.float32)
    torch.set_default_dtype(torch.float32)


# ----------------------------------------------------------------------------- tensor()

INFERENCE = {
    "floats": [1.5, 2.0],
    "ints": [1, 2, 3],
    "bools": [True, False],
    "int_and_float": [1, 2.5],
    "bool_and_int": [True, 2],
    "nested": [[1.0, 2.0], [3.0, 4.0]],
    "scalar_float": 3.5,
    "scalar_int": 7,
    "scalar_bool": False,
    "empty": [],
    "empty_nested": [[], []],
    "big_int": 2 ** 40,
    "negative_zero": -0.0,
    "numpy_float64_scalar": np.float64(2.0),
    "numpy_int32_scalar": np.int32(2),
    "list_with_numpy_float64": [np.float64(2.0), 1.0],
    "list_with_numpy_float32": [np.float32(2.0), 1.0],
    "list_with_numpy_int32": [np.int32(2), 1],
    "int_list_with_numpy_float64": [1, np.float64(2.0)],
    "tuple": (1.0, 2.0),
    "nan_inf": [float("nan"), float("inf"), -float("inf")],
}


@pytest.mark.parametrize("data", list(INFERENCE.values()), ids=list(INFERENCE))
def test_tensor_dtype_inference(data):
    same(lambda L: L.tensor(data))


@pytest.mark.parametrize("np_dtype", [np.float64, np.float32, np.float16, np.int64, np.int32,
                                      np.int16, np.int8, np.uint8, np.bool_])
def test_tensor_from_numpy_arrays_keeps_the_dtype(np_dtype):
    array = np.arange(6).reshape(2, 3).astype(np_dtype)
    same(lambda L: L.tensor(array))


def test_tensor_copies_its_data():
    array = np.zeros(3)
    for L in (gg, torch):
        t = L.tensor(array)
        t.add_(1)
    assert array.tolist() == [0.0, 0.0, 0.0]
    source = gg.tensor([1.0, 2.0])
    copy = gg.tensor(source)
    copy.add_(1)
    assert source.tolist() == [1.0, 2.0]


def test_tensor_from_a_list_of_tensors():
    same(lambda L: L.tensor([L.tensor(1.0), L.tensor(2.5)]))
    same(lambda L: L.tensor([L.tensor(1), L.tensor(2)]))


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "bool", "float16",
                                   "uint8"])
def test_tensor_with_explicit_dtype(dtype):
    same(lambda L: L.tensor([1.7, 2.2, 0.0], dtype=getattr(L, dtype)))
    same(lambda L: L.as_tensor([[0.1, 250.9]], dtype=getattr(L, dtype)))


def test_tensor_requires_grad():
    same(lambda L: (L.tensor([1.0], requires_grad=True).requires_grad,
                    L.tensor([1.0], requires_grad=True).is_leaf))
    same_error(lambda L: L.tensor([1, 2], requires_grad=True))


def test_tensor_ragged_rows():
    same_error(lambda L: L.tensor([[1, 2], [3]]))


def test_tensor_of_a_string_raises_type_error():
    with pytest.raises(TypeError):
        gg.tensor("abc")


@pytest.mark.usefixtures("restore_default_dtype")
def test_tensor_follows_the_default_dtype():
    for L in (gg, torch):
        L.set_default_dtype(L.float64)
    same(lambda L: (L.tensor([1.5]), L.tensor([1]), L.zeros(2), L.arange(0.0, 1.0, 0.5),
                    L.get_default_dtype()))


# ------------------------------------------------------------------------ as_tensor / from_numpy


def test_as_tensor_shares_memory_with_a_matching_array():
    array = np.zeros(3, dtype=np.float64)
    t = gg.as_tensor(array)
    t.add_(1)
    assert array.tolist() == [1.0, 1.0, 1.0]
    assert t.dtype == gg.float64


def test_as_tensor_copies_when_a_cast_is_needed():
    array = np.zeros(3, dtype=np.float64)
    for L in (gg, torch):
        t = L.as_tensor(array, dtype=L.float32)
        t.add_(1)
    assert array.tolist() == [0.0, 0.0, 0.0]


def test_as_tensor_of_a_tensor_is_the_same_tensor():
    for L in (gg, torch):
        t = L.tensor([1.0])
        assert L.as_tensor(t) is t
        assert L.as_tensor(t, dtype=L.float64).dtype == L.float64


def test_as_tensor_of_lists():
    same(lambda L: (L.as_tensor([1, 2.5]), L.as_tensor([1, 2]), L.as_tensor([[True]])))


def test_from_numpy_shares_memory_both_ways():
    array = np.arange(4.0)
    t = gg.from_numpy(array)
    assert t.dtype == gg.float64
    t.mul_(2)
    assert array.tolist() == [0.0, 2.0, 4.0, 6.0]
    array[0] = 100.0
    assert t[0].item() == 100.0


def test_from_numpy_refuses_other_objects():
    same_error(lambda L: L.from_numpy([1, 2]), exact=False)
    with pytest.raises(TypeError, match="can't convert np.ndarray"):
        gg.from_numpy(np.array(["a"]))


# ----------------------------------------------------------------------------- filled factories

SIZE_FORMS = {
    "varargs": (2, 3),
    "tuple": ((2, 3),),
    "list": ([2, 3],),
    "size": "size",
    "scalar_shape": ((),),
    "zero_length": (0, 4),
    "one_dim": (5,),
}


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("form", list(SIZE_FORMS), ids=list(SIZE_FORMS))
def test_size_forms(factory, form):
    def fn(L):
        args = (L.Size([2, 3]),) if SIZE_FORMS[form] == "size" else SIZE_FORMS[form]
        t = getattr(L, factory)(*args)
        return t.shape, t.dtype, t if factory != "empty" else None
    same(fn)


@pytest.mark.parametrize("factory", ["zeros", "ones", "empty"])
def test_factory_dtype_and_requires_grad(factory):
    same(lambda L: getattr(L, factory)(2, dtype=L.int64).dtype)
    same(lambda L: getattr(L, factory)(2, dtype=L.float64, requires_grad=True).requires_grad)
    same_error(lambda L: getattr(L, factory)(2, dtype=L.int32, requires_grad=True))


@pytest.mark.parametrize("bad", [(-1,), (2, -3)])
def test_negative_sizes(bad):
    same_error(lambda L: L.empty(*bad))
    with pytest.raises(RuntimeError):
        gg.zeros(*bad)


def test_size_must_be_given_and_be_integers():
    same_error(lambda L: L.zeros())
    same_error(lambda L: L.ones(2.0), exact=False)


@pytest.mark.parametrize("value", [3, 2.5, True, -1])
def test_full_infers_the_dtype_from_the_value(value):
    same(lambda L: L.full((2, 2), value))
    same(lambda L: L.full([3], value, dtype=L.float64))


def test_full_needs_a_size_sequence():
    same_error(lambda L: L.full(2, 1.0), exact=False)


LIKE = {
    "zeros_like": lambda L, x: L.zeros_like(x),
    "ones_like": lambda L, x: L.ones_like(x),
    "full_like": lambda L, x: L.full_like(x, 2.7),
    "full_like_int_value": lambda L, x: L.full_like(x, 3),
    "empty_like_shape": lambda L, x: L.empty_like(x).shape,
    "zeros_like_dtype": lambda L, x: L.zeros_like(x, dtype=L.float64),
    "ones_like_int": lambda L, x: L.ones_like(x, dtype=L.int32),
}


@pytest.mark.parametrize("make", list(LIKE.values()), ids=list(LIKE))
@pytest.mark.parametrize("source", ["float", "int", "scalar"])
def test_like_factories(make, source):
    def fn(L):
        x = {"float": L.tensor([[1.5, 2.0]]), "int": L.tensor([1, 2, 3]),
             "scalar": L.tensor(2.0, dtype=L.float64)}[source]
        return make(L, x)
    same(fn)


def test_like_factories_do_not_copy_requires_grad():
    same(lambda L: (L.zeros_like(L.ones(2, requires_grad=True)).requires_grad,
                    L.ones_like(L.ones(2), requires_grad=True).requires_grad))


@pytest.mark.parametrize("factory", ["rand_like", "randn_like"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_like_factories(factory, dtype):
    same(lambda L: (getattr(L, factory)(L.ones(4, 5, dtype=getattr(L, dtype))).shape,
                    getattr(L, factory)(L.ones(4, 5, dtype=getattr(L, dtype))).dtype,
                    getattr(L, factory)(L.ones(3), requires_grad=True).requires_grad))


@pytest.mark.parametrize("factory", ["rand_like", "randn_like"])
def test_random_like_refuses_integer_tensors(factory):
    same_error(lambda L: getattr(L, factory)(L.ones(2, dtype=L.int64)))


def test_randint_like():
    gg.manual_seed(0)
    t = gg.randint_like(gg.zeros(1000, dtype=gg.int32), 3, 7)
    assert t.dtype == gg.int32 and t.shape == (1000,)
    assert set(t.tolist()) == {3, 4, 5, 6}


# ----------------------------------------------------------------------------- arange

ARANGE = [
    (5,), (0,), (5.0,), (2, 7), (0, 1, 0.25), (5, 0, -1), (1.0, 0, -0.3), (-3, 4, 2),
    (0, 1, 0.1), (-1.5, 2, 0.7), (10, 0, -3), (0.5, 5, 1), (0, 5, 1.5), (-2.5, 3, 1),
    (np.int64(3),), (0, 10 ** 12, 10 ** 11),
]


@pytest.mark.parametrize("args", ARANGE, ids=[str(a) for a in ARANGE])
@pytest.mark.parametrize("dtype", [None, "float32", "float64", "int64", "int32", "uint8"])
def test_arange_matches_torch(args, dtype):
    def fn(L):
        kwargs = {} if dtype is None else {"dtype": getattr(L, dtype)}
        return L.arange(*args, **kwargs)
    if dtype == "uint8" and (min(args) < 0 or max(args) > 255):
        return  # out of uint8's range: torch refuses, NumPy would wrap around
    same_or_same_error(fn, rtol=1e-6, atol=1e-6)


def test_arange_with_tensor_bounds():
    same(lambda L: (L.arange(L.tensor(3)), L.arange(L.tensor(2.0)), L.arange(0, L.tensor(4), 2)))


@pytest.mark.parametrize("args", [(0, 5, 0), (0, 5, -1), (5, 0, 1), (0, float("inf"))])
def test_arange_errors(args):
    same_error(lambda L: L.arange(*args))


def test_arange_of_bool_is_not_implemented():
    same_error(lambda L: L.arange(3, dtype=L.bool))


@given(start=st.integers(-50, 50), length=st.integers(0, 60), step=st.integers(1, 7),
       negative=st.booleans())
def test_arange_integers_property(start, length, step, negative):
    step = -step if negative else step
    end = start + length * (1 if step > 0 else -1)
    same(lambda L: L.arange(start, end, step))


@given(start=st.floats(-100, 100), span=st.floats(0.01, 100), count=st.integers(1, 200),
       negative=st.booleans())
def test_arange_floats_property(start, span, count, negative):
    step = span / count * (-1 if negative else 1)
    end = start + span * (-1 if negative else 1)
    same(lambda L: L.arange(start, end, step), rtol=1e-6, atol=1e-5)


# ----------------------------------------------------------------------------- linspace / logspace


@pytest.mark.parametrize("args", [(0, 1, 5), (0, 1, 1), (0, 1, 0), (-1, 1, 3), (60, -61, 11),
                                  (2.5, 2.5, 4), (0, 10, 5), (-10, 10, 7), (3, 1, 2)])
@pytest.mark.parametrize("dtype", [None, "float64", "int64"])
def test_linspace_matches_torch(args, dtype):
    def fn(L):
        kwargs = {} if dtype is None else {"dtype": getattr(L, dtype)}
        return L.linspace(*args, **kwargs)
    same(fn, rtol=0, atol=1e-6)


@given(start=st.floats(-1000, 1000), end=st.floats(-1000, 1000), steps=st.integers(0, 300))
def test_linspace_float32_within_1e_6_of_torch(start, end, steps):
    ours = gg.linspace(start, end, steps).numpy()
    theirs = torch.linspace(start, end, steps).numpy()
    assert ours.dtype == theirs.dtype == np.float32 and ours.shape == theirs.shape
    scale = max(1.0, abs(start), abs(end))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6 * scale)
    if steps >= 2:
        assert ours[0] == np.float32(start) and ours[-1] == np.float32(end)


@given(start=st.floats(-100, 100), end=st.floats(-100, 100), steps=st.integers(2, 100))
def test_linspace_integer_dtype_truncates_like_torch(start, end, steps):
    same(lambda L: L.linspace(start, end, steps, dtype=L.int64))


def test_linspace_errors():
    same_error(lambda L: L.linspace(0, 1, -1))


def test_logspace():
    same(lambda L: L.logspace(0, 3, 4), rtol=1e-6)
    same(lambda L: L.logspace(0, 3, 4, base=2.0, dtype=L.float64), rtol=1e-12)


# ----------------------------------------------------------------------------- eye


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (0,), (1, 0)])
def test_eye(args):
    same(lambda L: L.eye(*args))
    same(lambda L: L.eye(*args, dtype=L.int64))


def test_eye_errors():
    same_error(lambda L: L.eye(-1))
    same_error(lambda L: L.eye(2, -3))


def test_eye_requires_grad():
    same(lambda L: L.eye(2, requires_grad=True).requires_grad)


# ----------------------------------------------------------------------------- random factories

RANDOM_FACTORIES = {
    "rand": lambda L, **kw: L.rand(3, 4, **kw),
    "rand_tuple": lambda L, **kw: L.rand((3, 4), **kw),
    "randn": lambda L, **kw: L.randn(3, 4, **kw),
    "randint": lambda L, **kw: L.randint(0, 10, (3, 4), **kw),
    "randint_high": lambda L, **kw: L.randint(10, (3, 4), **kw),
    "randperm": lambda L, **kw: L.randperm(12, **kw),
    "normal_floats": lambda L, **kw: L.normal(2.0, 3.0, (3, 4), **kw),
    "normal_tensors": lambda L, **kw: L.normal(L.zeros(3, 4), L.ones(3, 4), **kw),
    "normal_tensor_mean": lambda L, **kw: L.normal(L.zeros(3, 4, dtype=L.float64), 1.0, **kw),
    "normal_broadcast": lambda L, **kw: L.normal(L.zeros(3, 1), L.ones(1, 4), **kw),
}


@pytest.mark.parametrize("make", list(RANDOM_FACTORIES.values()), ids=list(RANDOM_FACTORIES))
def test_random_factories_shape_and_dtype(make):
    same(lambda L: (make(L).shape, make(L).dtype, make(L).requires_grad))


@pytest.mark.parametrize("make", list(RANDOM_FACTORIES.values()), ids=list(RANDOM_FACTORIES))
def test_random_factories_accept_a_generator(make):
    a = make(gg, generator=gg.Generator().manual_seed(5))
    b = make(gg, generator=gg.Generator().manual_seed(5))
    c = make(gg, generator=gg.Generator().manual_seed(6))
    assert a.tolist() == b.tolist()
    assert a.tolist() != c.tolist()


@pytest.mark.parametrize("make", list(RANDOM_FACTORIES.values()), ids=list(RANDOM_FACTORIES))
def test_manual_seed_reproduces_every_random_factory(make):
    gg.manual_seed(123)
    first = make(gg).tolist()
    gg.manual_seed(123)
    assert make(gg).tolist() == first
    assert make(gg).tolist() != first  # the stream moves on


def test_random_dtypes():
    same(lambda L: (L.rand(2, dtype=L.float64).dtype, L.randn(2, dtype=L.float64).dtype,
                    L.randint(0, 5, (2,), dtype=L.int32).dtype,
                    L.randint(0, 5, (2,), dtype=L.float32).dtype,
                    L.randperm(3, dtype=L.float32).dtype, L.rand(2, dtype=L.float16).dtype))


@pytest.mark.parametrize("factory", ["rand", "randn"])
def test_rand_and_randn_refuse_integer_dtypes(factory):
    same_error(lambda L: getattr(L, factory)(2, dtype=L.int64))


def test_random_factories_requires_grad():
    same(lambda L: (L.rand(2, requires_grad=True).requires_grad,
                    L.randn(2, requires_grad=True).is_leaf))


def test_rand_is_uniform_on_0_1():
    gg.manual_seed(0)
    x = gg.rand(100000).numpy()
    assert x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.var() - 1 / 12) < 0.005
    assert np.histogram(x, bins=10, range=(0, 1))[0].min() > 9000


def test_randn_is_standard_normal():
    gg.manual_seed(0)
    x = gg.randn(100000).numpy()
    assert abs(x.mean()) < 0.02 and abs(x.std() - 1.0) < 0.02
    assert abs(np.mean(np.abs(x) < 1.0) - 0.6827) < 0.01


def test_randint_range_and_coverage():
    gg.manual_seed(0)
    x = gg.randint(-3, 4, (5000,)).numpy()
    assert x.dtype == np.int64 and set(x.tolist()) == set(range(-3, 4))


def test_randint_errors():
    same_error(lambda L: L.randint(5, 5, (3,)))
    same_error(lambda L: L.randint(5, 3), exact=False)
    with pytest.raises(TypeError):
        gg.randint(5)


def test_randperm_is_a_permutation():
    gg.manual_seed(0)
    for n in (0, 1, 10, 1000):
        p = gg.randperm(n)
        assert p.dtype == gg.int64 and sorted(p.tolist()) == list(range(n))
    assert gg.randperm(1000).tolist() != list(range(1000))


def test_normal_statistics():
    gg.manual_seed(0)
    x = gg.normal(5.0, 2.0, (100000,)).numpy()
    assert abs(x.mean() - 5.0) < 0.05 and abs(x.std() - 2.0) < 0.05
    means = gg.arange(0.0, 100.0).reshape(100, 1).expand(100, 1000)
    y = gg.normal(means, gg.full((100, 1000), 0.1)).numpy()
    np.testing.assert_allclose(y.mean(axis=1), np.arange(100.0), atol=0.02)


def test_normal_errors():
    same_error(lambda L: L.normal(0.0, -1.0, (2,)))
    same_error(lambda L: L.normal(L.zeros(2), L.tensor([1.0, -1.0])))


def test_normal_with_zero_std_gives_the_mean():
    same(lambda L: L.normal(L.tensor([1.0, 2.0]), 0.0))


# ----------------------------------------------------------------------------- seeds and generators


def test_manual_seed_returns_a_generator_and_sets_initial_seed():
    g = gg.manual_seed(7)
    assert isinstance(g, gg.Generator) and g is gg.default_generator
    assert gg.initial_seed() == 7


def test_manual_seed_makes_interleaved_calls_reproducible():
    def draw():
        return [gg.rand(3).tolist(), gg.randn(2).tolist(), gg.randint(0, 100, (4,)).tolist(),
                gg.randperm(5).tolist(), gg.zeros(3).uniform_().tolist(),
                gg.zeros(3).normal_().tolist()]
    gg.manual_seed(2024)
    first = draw()
    gg.manual_seed(2024)
    assert draw() == first
    gg.manual_seed(2025)
    assert draw() != first


def test_generators_are_independent_streams():
    g1 = gg.Generator().manual_seed(1)
    g2 = gg.Generator().manual_seed(1)
    gg.manual_seed(99)
    a = gg.rand(4, generator=g1).tolist()
    gg.rand(100)                       # the global stream does not disturb g2
    gg.rand(4, generator=g1)           # nor does g1
    b = gg.rand(4, generator=g2).tolist()
    assert a == b
    gg.manual_seed(99)
    with_generator_calls = gg.rand(3).tolist()
    gg.manual_seed(99)
    gg.rand(5, generator=gg.Generator().manual_seed(0))  # explicit generators leave the global
    assert gg.rand(3).tolist() == with_generator_calls   # stream where it was


def test_generator_api():
    g = gg.Generator()
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    state = g.get_state()
    first = gg.rand(3, generator=g).tolist()
    g.set_state(state)
    assert gg.rand(3, generator=g).tolist() == first


def test_rng_state_round_trip():
    gg.manual_seed(0)
    state = gg.get_rng_state()
    first = gg.randn(5).tolist()
    gg.set_rng_state(state)
    assert gg.randn(5).tolist() == first


@pytest.mark.parametrize("method", ["uniform_", "normal_"])
def test_in_place_samplers_accept_a_generator(method):
    a = getattr(gg.zeros(4), method)(generator=gg.Generator().manual_seed(8)).tolist()
    b = getattr(gg.zeros(4), method)(generator=gg.Generator().manual_seed(8)).tolist()
    assert a == b


# ----------------------------------------------------------------------------- default dtype


@pytest.mark.usefixtures("restore_default_dtype")
@pytest.mark.parametrize("dtype", ["float64", "float16", "float32"])
def test_set_default_dtype_changes_floating_factories(dtype):
    for L in (gg, torch):
        L.set_default_dtype(getattr(L, dtype))
    same(lambda L: (L.get_default_dtype(), L.tensor([1.5]).dtype, L.zeros(2).dtype,
                    L.ones(1).dtype, L.full((1,), 2.5).dtype, L.rand(2).dtype,
                    L.randn(2).dtype, L.linspace(0, 1, 3).dtype, L.eye(2).dtype,
                    L.tensor([1]).dtype, L.arange(3).dtype, L.arange(3.0).dtype,
                    L.empty(1).dtype))


@pytest.mark.usefixtures("restore_default_dtype")
def test_set_default_dtype_refuses_integers():
    same_error(lambda L: L.set_default_dtype(L.int64))
    assert gg.get_default_dtype() == gg.float32


def test_default_dtype_is_float32():
    assert gg.get_default_dtype() is gg.float32


# ----------------------------------------------------------------------------- devices


@pytest.mark.parametrize("factory", [
    lambda: gg.zeros(2, device="cuda"), lambda: gg.ones(2, device="cuda:0"),
    lambda: gg.tensor([1.0], device="cuda"), lambda: gg.rand(2, device="cuda"),
    lambda: gg.arange(3, device="cuda"), lambda: gg.full((2,), 1.0, device="mps"),
    lambda: gg.zeros_like(gg.ones(2), device="cuda"), lambda: gg.eye(2, device="cuda"),
])
def test_factories_refuse_cuda(factory):
    with pytest.raises(RuntimeError, match="not available"):
        factory()


def test_factories_accept_cpu():
    for device in ("cpu", "cpu:0", gg.device("cpu")):
        assert gg.zeros(2, device=device).device == gg.device("cpu")
        assert gg.tensor([1], device=device).device.type == "cpu"
