"""``glassgrad.nn.functional``: the stateless functions behind the layers and losses
(as ``torch.nn.functional``). The implementations live in ``glassgrad/ops`` (the primitives) and
are re-exported here under PyTorch's names; each family has its own section.
"""

from ..ops.activation import log_softmax, relu, softmax  # noqa: F401
from ..ops.unary import sigmoid, tanh  # noqa: F401

# --- activations, dropout, normalisation, embedding, padding
# isort: split
from ..ops.activation import elu, gelu, hardtanh, leaky_relu, relu6, silu, softplus  # noqa: F401
from ..ops.nn_misc import dropout, embedding, one_hot, pad  # noqa: F401
from ..ops.normalization import batch_norm, layer_norm, normalize  # noqa: F401

# --- losses
# isort: split
from ..ops.binary_cross_entropy import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
)
from ..ops.cross_entropy import cross_entropy, nll_loss  # noqa: F401
from ..ops.focal import focal_loss  # noqa: F401
from ..ops.loss import huber_loss, kl_div, l1_loss, mse_loss, smooth_l1_loss  # noqa: F401

# --- convolution and pooling
# isort: split
from ..ops.conv import conv2d  # noqa: F401
from ..ops.pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d  # noqa: F401

# --- linear
# isort: split
from ..ops.linear import bilinear, linear  # noqa: F401
