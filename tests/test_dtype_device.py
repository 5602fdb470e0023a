"""dtypes (names, properties, promotion) and devices (cpu only, PyTorch's device arguments),
compared with real PyTorch."""

import itertools

import numpy as np
import pytest
import torch

import glassgrad as gg

DTYPES = ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool"]
ALIASES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
           "int": "int32", "short": "int16"}


def _name(dtype):
    return repr(dtype).replace("torch.", "glassgrad.")


# ----------------------------------------------------------------------------- dtypes


@pytest.mark.parametrize("name", DTYPES)
def test_dtype_repr_and_properties(name):
    ours, theirs = getattr(gg, name), getattr(torch, name)
    assert repr(ours) == repr(theirs).replace("torch.", "glassgrad.") == f"glassgrad.{name}"
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed
    assert ours.itemsize == theirs.itemsize
    assert ours.is_complex is False
    assert isinstance(ours, gg.dtype)


@pytest.mark.parametrize("alias, name", list(ALIASES.items()))
def test_dtype_aliases_are_the_same_object(alias, name):
    assert getattr(gg, alias) is getattr(gg, name)
    assert getattr(torch, alias) is getattr(torch, name)


@pytest.mark.parametrize("name", DTYPES)
def test_tensor_dtype_round_trip(name):
    t = gg.zeros(2, dtype=getattr(gg, name))
    assert t.dtype is getattr(gg, name)
    assert t.numpy().dtype == np.dtype(getattr(gg, name).numpy)
    assert gg.from_numpy(np.zeros(2, dtype=getattr(gg, name).numpy)).dtype is getattr(gg, name)


@pytest.mark.parametrize("name", DTYPES)
def test_the_names_in_messages_are_torchs(name):
    """One table (``_dtype._MESSAGE_NAMES``) names every element type in error messages."""
    from glassgrad._dtype import cpp_type_name, scalar_type_name

    mine = gg.zeros(2, dtype=getattr(gg, name))
    theirs = torch.zeros(2, dtype=getattr(torch, name))
    assert mine.type() == theirs.type().replace("torch.", "glassgrad.")
    assert scalar_type_name(mine) == scalar_type_name(np.dtype(name)) == \
        scalar_type_name(getattr(gg, name))
    if name != "bool":   # torch's message for two dtypes in one product names C++ types
        other = "float64" if name != "float64" else "float32"
        with pytest.raises(RuntimeError) as caught:
            torch.mm(theirs.reshape(1, 2), torch.zeros(2, 1, dtype=getattr(torch, other)))
        expected = f"{cpp_type_name(mine)} != {cpp_type_name(np.dtype(other))}"
        assert expected in str(caught.value)


def test_dtypes_pickle_to_the_same_object():
    import pickle

    for name in DTYPES:
        assert pickle.loads(pickle.dumps(getattr(gg, name))) is getattr(gg, name)


@pytest.mark.parametrize("a, b", list(itertools.combinations_with_replacement(DTYPES, 2)))
def test_promote_types_matches_torch(a, b):
    ours = gg.promote_types(getattr(gg, a), getattr(gg, b))
    theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
    assert _name(ours) == _name(theirs)


OPERANDS = {
    "int_tensor": lambda L: L.tensor([1, 2]),
    "int32_tensor": lambda L: L.tensor([1, 2], dtype=L.int32),
    "uint8_tensor": lambda L: L.tensor([1, 2], dtype=L.uint8),
    "float_tensor": lambda L: L.tensor([1.0, 2.0]),
    "half_tensor": lambda L: L.tensor([1.0, 2.0], dtype=L.float16),
    "double_tensor": lambda L: L.tensor([1.0, 2.0], dtype=L.float64),
    "bool_tensor": lambda L: L.tensor([True, False]),
    "int_0d": lambda L: L.tensor(3),
    "double_0d": lambda L: L.tensor(3.0, dtype=L.float64),
    "python_int": lambda L: 3,
    "python_float": lambda L: 2.5,
    "python_bool": lambda L: True,
}


@pytest.mark.parametrize("a, b", [(a, b) for a, b in itertools.product(OPERANDS, OPERANDS)
                                  if "tensor" in a or "0d" in a])
def test_result_type_matches_torch(a, b):
    ours = gg.result_type(OPERANDS[a](gg), OPERANDS[b](gg))
    theirs = torch.result_type(OPERANDS[a](torch), OPERANDS[b](torch))
    assert _name(ours) == _name(theirs)


@pytest.mark.parametrize("a, b", [("int32_tensor", "python_float"), ("int_tensor", "int_0d"),
                                  ("uint8_tensor", "int32_tensor"), ("half_tensor", "double_0d"),
                                  ("bool_tensor", "python_bool"), ("bool_tensor", "int_tensor"),
                                  ("float_tensor", "double_tensor"), ("int_tensor", "float_tensor"),
                                  ("half_tensor", "int32_tensor"), ("uint8_tensor", "python_int")])
def test_arithmetic_results_follow_promotion(a, b):
    ours = OPERANDS[a](gg) + OPERANDS[b](gg)
    theirs = OPERANDS[a](torch) + OPERANDS[b](torch)
    assert _name(ours.dtype) == _name(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_dtype_conversions_of_values_match_torch():
    values = [-2.7, -0.5, 0.0, 0.5, 2.7, 100.9]
    for name in ["int64", "int32", "int16", "bool", "float16", "float64"]:
        ours = gg.tensor(values).to(getattr(gg, name)).numpy()
        theirs = torch.tensor(values).to(getattr(torch, name)).numpy()
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(ours, theirs)


def test_unsupported_numpy_dtypes_are_refused():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        gg.from_numpy(np.zeros(2, dtype=np.complex64))
    with pytest.raises(TypeError):
        gg.zeros(2, dtype="complex64")


def test_dtype_arguments_accept_numpy_and_python_types():
    assert gg.zeros(1, dtype=np.float64).dtype is gg.float64
    assert gg.zeros(1, dtype=float).dtype is gg.float64
    assert gg.tensor([1.5]).to(int).dtype is gg.int64
    assert gg.tensor([1.5]).to(bool).dtype is gg.bool


def test_is_floating_point():
    for name in DTYPES:
        ours = gg.zeros(1, dtype=getattr(gg, name))
        theirs = torch.zeros(1, dtype=getattr(torch, name))
        assert ours.is_floating_point() == theirs.is_floating_point()
        assert gg.is_floating_point(ours) == torch.is_floating_point(theirs)
        assert ours.element_size() == theirs.element_size()


# ----------------------------------------------------------------------------- devices


def test_device_construction_and_printing():
    for spec in [("cpu",), ("cpu:0",), ("cpu", 0), ("cuda",), ("cuda:1",), ("mps",)]:
        ours, theirs = gg.device(*spec), torch.device(*spec)
        assert repr(ours) == repr(theirs)
        assert str(ours) == str(theirs)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)


def test_device_of_a_device():
    assert gg.device(gg.device("cpu")) == gg.device("cpu")


def test_device_equality_and_hashing_as_torch():
    assert gg.device("cpu") == gg.device("cpu")
    assert gg.device("cpu") != gg.device("cpu:0")
    assert (gg.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert {gg.device("cpu"): 1}[gg.device("cpu")] == 1


def test_unknown_device_types_are_refused():
    with pytest.raises(RuntimeError) as theirs:
        torch.device("foo")
    with pytest.raises(RuntimeError) as ours:
        gg.device("foo")
    assert str(ours.value) == str(theirs.value)


def test_tensor_device():
    t = gg.ones(2)
    assert t.device == gg.device("cpu") and t.device.type == "cpu"
    assert t.get_device() == torch.ones(2).get_device() == -1
    assert t.cpu() is t


def test_cuda_module():
    assert gg.cuda.is_available() is torch.cuda.is_available() is False
    assert gg.cuda.device_count() == 0
    gg.cuda.manual_seed(0)       # accepted, as on a machine without GPUs
    gg.cuda.manual_seed_all(0)


def test_mps_backend():
    assert gg.backends.mps.is_available() is False
    assert gg.backends.mps.is_built() is False


def test_device_selection_idiom():
    device = gg.device("cuda" if gg.cuda.is_available() else "cpu")
    x = gg.randn(3, 2, device=device)
    y = x.to(device)
    assert y is x and y.device == device


@pytest.mark.parametrize("device", ["cuda", "cuda:0", gg.device("cuda"), "mps", "meta"])
def test_unavailable_devices_raise_runtime_error(device):
    with pytest.raises(RuntimeError, match="not available"):
        gg.ones(2).to(device)
    with pytest.raises(RuntimeError, match="not available"):
        gg.zeros(2, device=device)
