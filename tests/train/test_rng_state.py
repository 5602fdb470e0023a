"""The random state the Trainer saves in checkpoints: get_rng_state / set_rng_state."""

import json

import numpy as np

import glassgrad as gg


def test_rng_state_is_a_uint8_tensor_of_json_that_round_trips():
    gg.manual_seed(5)
    gg.rand(3)
    state = gg.get_rng_state()
    assert isinstance(state, gg.Tensor) and state.dtype == gg.uint8 and state.ndim == 1
    saved = json.loads(bytes(state.numpy().tolist()).decode())
    assert saved["seed"] == 5 and saved["bit_generator"]["bit_generator"] == "PCG64"
    first = gg.randn(4).tolist()
    gg.set_rng_state(state)
    assert gg.randn(4).tolist() == first
    state.numpy()[:] = 0            # the tensor owns its bytes: changing it is allowed
    gg.set_rng_state(gg.tensor(list(json.dumps(saved).encode()), dtype=gg.uint8))
    assert gg.randn(4).tolist() == first     # a state built byte by byte (older checkpoints)


def test_generator_state_round_trips_and_leaves_other_generators_alone():
    g = gg.Generator().manual_seed(11)
    state = g.get_state()
    gg.manual_seed(0)
    first = gg.rand(2, generator=g).tolist()
    global_draw = gg.rand(2).tolist()
    g.set_state(state)
    assert gg.rand(2, generator=g).tolist() == first
    assert g.initial_seed() == 11
    gg.manual_seed(0)
    assert gg.rand(2).tolist() == global_draw
    np.testing.assert_array_equal(g.get_state().numpy(), g.get_state().numpy())
