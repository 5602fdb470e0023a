"""``glassgrad.nn.functional``: the stateless functions behind the layers and losses
(as ``torch.nn.functional``). The implementations live in ``glassgrad/ops`` (the primitives) and
are re-exported here under PyTorch's names; each family has its own section.
"""

from ..ops.activation import log_softmax, relu, softmax  # noqa: F401
from ..ops.unary import sigmoid, tanh  # noqa: F401

# --- activations, dropout, normalisation, embedding, padding

# --- losses

# --- convolution and pooling

# --- linear
