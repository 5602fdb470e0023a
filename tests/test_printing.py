"""Compare glassgrad's tensor formatting with the output of real PyTorch."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from glassgrad._printing import format_scalar, format_tensor, needs_dtype_suffix

NAN, INF = float("nan"), float("inf")


def expected(t):
    """What glassgrad must print for ``t``: torch's repr with the module name swapped."""
    return repr(t).replace("torch.", "glassgrad.")


def actual(t, prefix="tensor(", module="glassgrad"):
    """Format ``t`` with glassgrad, passing the dtype and autograd suffixes as a caller would."""
    array = t.detach().numpy()
    dtype_name = None
    default = np.float32 if torch.get_default_dtype() == torch.float32 else np.float64
    if needs_dtype_suffix(array.dtype, default, empty=array.size == 0):
        dtype_name = module + "." + str(t.dtype).split(".")[1]
    suffixes = []
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(t.grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return format_tensor(array, prefix=prefix, dtype_name=dtype_name, suffixes=suffixes)


def check(t, prefix="tensor("):
    """Assert glassgrad prints ``t`` as torch does.

    With the dtype spelled ``torch.*`` the output must equal ``repr(t)`` character for
    character.  With ``glassgrad.*`` (four characters longer) torch's wrapping rule may
    move a suffix onto its own line where torch's shorter name still fitted, so that
    comparison ignores how whitespace is broken across lines.
    """
    assert actual(t, prefix, module="torch") == repr(t)
    got, want = actual(t, prefix), expected(t)
    assert got == want or got.split() == want.split()


def _seeded(fn, seed=0):
    torch.manual_seed(seed)
    return fn()


CASES = {
    "0d_float": lambda: torch.tensor(7.0),
    "0d_float_frac": lambda: torch.tensor(-3.14159),
    "0d_small": lambda: torch.tensor(1e-5),
    "0d_int": lambda: torch.tensor(3),
    "0d_neg_int": lambda: torch.tensor(-42, dtype=torch.int32),
    "0d_bool": lambda: torch.tensor(True),
    "0d_nan": lambda: torch.tensor(NAN),
    "0d_neg_zero": lambda: torch.tensor(-0.0),
    "0d_float64": lambda: torch.tensor(2.5, dtype=torch.float64),
    "integral": lambda: torch.tensor([1.0, 2.0, -30.0]),
    "integral_big": lambda: torch.tensor([12345678.0, 1.0]),
    "integral_sci": lambda: torch.tensor([123456789.0, 1.0], dtype=torch.float64),
    "tiny": lambda: torch.tensor([1e-5, 2e-5]),
    "huge": lambda: torch.tensor([1e10, 1.0]),
    "mixed": lambda: torch.tensor([1e-3, 1.5, 1e3]),
    "mixed_ok": lambda: torch.tensor([0.01, 1.5, 9.0]),
    "rounding": lambda: torch.tensor([9.99996, 0.5, -99.99999]),
    "exp3": lambda: torch.tensor([1e100, 1e-100, -3.0], dtype=torch.float64),
    "nan": lambda: torch.tensor([NAN, 1.5, 2.0]),
    "nan_int": lambda: torch.tensor([NAN, 1.0]),
    "all_nan": lambda: torch.tensor([NAN, NAN]),
    "inf": lambda: torch.tensor([INF, -INF, 0.0]),
    "inf_sci": lambda: torch.tensor([INF, 1e-7, -2.0]),
    "zeros": lambda: torch.zeros(4),
    "neg_zero": lambda: torch.tensor([-0.0, 0.0]),
    "neg_zero_frac": lambda: torch.tensor([-0.0, 0.25]),
    "wrap_1d": lambda: torch.randn(100),
    "wrap_1d_sci": lambda: torch.randn(60) * 1e6,
    "wrap_int": lambda: torch.arange(-150, 150),
    "wrap_int_big": lambda: torch.arange(200) * 10**15,
    "2d": lambda: torch.randn(5, 7),
    "2d_wide": lambda: torch.randn(3, 30),
    "3d": lambda: torch.randn(2, 3, 4),
    "4d": lambda: torch.randn(2, 2, 3, 2) * 100,
    "unit_dims": lambda: torch.randn(1, 1, 3),
    "summarised_1d": lambda: torch.randn(2000),
    "summarised_int": lambda: torch.arange(2000),
    "summarised_3d": lambda: torch.randn(7, 8, 20),
    "summarised_small_dims": lambda: torch.randn(6, 6, 6, 6),
    "megamatrix": lambda: torch.randn(1000, 1000),
    "megamatrix_sci": lambda: torch.randn(1000, 1000) * 1e-6,
    "empty": lambda: torch.tensor([]),
    "empty_2d": lambda: torch.zeros(0, 3),
    "empty_3d": lambda: torch.zeros(2, 0, 4),
    "empty_int64": lambda: torch.tensor([], dtype=torch.int64),
    "empty_bool_3d": lambda: torch.zeros(2, 0, 4, dtype=torch.bool),
    "empty_float64": lambda: torch.zeros(0, dtype=torch.float64),
    "float64": lambda: torch.randn(4, 3, dtype=torch.float64),
    "float64_integral": lambda: torch.tensor([1.0, 2.0], dtype=torch.float64),
    "float16": lambda: torch.randn(3, 5).half(),
    "float16_large": lambda: torch.tensor([60000.0, 0.001], dtype=torch.float16),
    "int32": lambda: torch.tensor([[1, -20], [300, 4]], dtype=torch.int32),
    "int16": lambda: torch.tensor([-32768, 32767], dtype=torch.int16),
    "int8": lambda: torch.tensor([-128, 0, 5], dtype=torch.int8),
    "uint8": lambda: torch.tensor([0, 255, 7], dtype=torch.uint8),
    "bool": lambda: torch.tensor([True, False]),
    "bool_true": lambda: torch.tensor([[True, True]]),
    "bool_big": lambda: torch.rand(40, 40) > 0.5,
    "requires_grad": lambda: torch.ones(3, requires_grad=True),
    "requires_grad_0d": lambda: torch.tensor(2.0, requires_grad=True),
    "grad_fn": lambda: torch.ones(3, requires_grad=True) * 2,
    "grad_fn_wrap": lambda: torch.randn(30, requires_grad=True) * 2,
    "grad_fn_f64": lambda: torch.randn(2, 3, dtype=torch.float64, requires_grad=True).sum(0),
    "grad_fn_edge": lambda: torch.arange(15.0, requires_grad=True) + 1,
    "grad_fn_near_limit": lambda: torch.full((7,), 1.5, requires_grad=True) + 1,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    t = _seeded(CASES[name])
    check(t)


@pytest.mark.parametrize("length", range(1, 40))
def test_suffix_wrapping_boundary(length):
    """Sweep line lengths across the 80-column limit to pin the suffix-wrapping rule."""
    t = torch.full((length,), 1.5, dtype=torch.float64, requires_grad=True) * 3
    check(t)


def test_custom_prefix_matches_subclass_repr():
    class MyT(torch.Tensor):
        pass

    for values in (torch.randn(30), torch.randn(3, 12), torch.tensor(1.5)):
        t = torch.Tensor._make_subclass(MyT, values)
        check(t, prefix="MyT(")


def test_default_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        for t in (torch.randn(3), torch.randn(3).float(), torch.zeros(0), torch.zeros(0).float()):
            check(t)
    finally:
        torch.set_default_dtype(old)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.int64,
                                   torch.int32, torch.int16, torch.int8, torch.uint8, torch.bool])
@pytest.mark.parametrize("empty", [False, True])
def test_needs_dtype_suffix(dtype, empty):
    t = torch.zeros(0 if empty else 2, dtype=dtype)
    np_dtype = t.numpy().dtype
    assert needs_dtype_suffix(np_dtype, np.float32, empty=empty) == ("dtype=" in repr(t))


@pytest.mark.parametrize("value", [torch.tensor(3.14159), torch.tensor(0.1),
                                   torch.tensor(7, dtype=torch.int32), torch.tensor(True),
                                   torch.tensor(2.0, dtype=torch.float64)])
@pytest.mark.parametrize("spec", ["", ".2f", "10.3e", ">8", "g"])
def test_format_scalar(value, spec):
    try:
        want = format(value, spec)
    except (TypeError, ValueError) as exc:
        with pytest.raises(type(exc)):
            format_scalar(value.numpy(), spec)
    else:
        assert format_scalar(value.numpy(), spec) == want
        assert format_scalar(value.numpy()[()], spec) == want


def test_format_scalar_non_scalar():
    t = torch.tensor([1.0, 2.5])
    assert format_scalar(t.numpy(), "") == format(t, "")
    with pytest.raises(TypeError):
        format(t, ".2f")
    with pytest.raises(TypeError):
        format_scalar(t.numpy(), ".2f")


def _random_values(seed, size, low_exp, span, integral, special_rate):
    """Mixed-magnitude values with random signs, optionally rounded, with specials."""
    rng = np.random.default_rng(seed)
    values = 10.0 ** rng.uniform(low_exp, low_exp + span, size)
    values *= rng.choice([-1.0, 1.0], size)
    if integral:
        values = np.round(values)
    specials = np.array([0.0, -0.0, NAN, INF, -INF])
    mask = rng.random(size) < special_rate
    values[mask] = rng.choice(specials, int(mask.sum()))
    return values


@settings(max_examples=300, deadline=None)
@given(shape=st.lists(st.integers(0, 40), max_size=4),
       seed=st.integers(0, 2**32 - 1),
       low_exp=st.integers(-45, 40),
       span=st.integers(0, 14),
       integral=st.booleans(),
       special_rate=st.sampled_from([0.0, 0.0, 0.05, 0.5, 1.0]),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_random_floats(shape, seed, low_exp, span, integral, special_rate, dtype):
    values = _random_values(seed, int(np.prod(shape)), low_exp, span, integral, special_rate)
    with np.errstate(over="ignore"):
        array = values.reshape(shape).astype(dtype)
    t = torch.from_numpy(array)
    check(t)


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(0, 40), max_size=4),
       seed=st.integers(0, 2**32 - 1),
       dtype=st.sampled_from([np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]))
def test_random_integers(shape, seed, dtype):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype) if dtype is not np.bool_ else np.iinfo(np.uint8)
    scale = 10 ** rng.integers(0, 19)
    values = np.clip(rng.integers(-(2**62), 2**62, shape) // max(1, 2**62 // scale),
                     info.min, info.max)
    array = (values % 2 == 0) if dtype is np.bool_ else values.astype(dtype)
    t = torch.from_numpy(np.ascontiguousarray(array))
    check(t)
