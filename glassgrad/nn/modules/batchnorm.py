"""Batch normalisation (as ``torch.nn.modules.batchnorm``): BatchNorm1d, BatchNorm2d, BatchNorm3d.

In training a BatchNorm layer normalises each channel with the batch's own mean and (biased)
variance and folds them into running estimates,

    running_mean <- (1 - momentum) running_mean + momentum mean
    running_var  <- (1 - momentum) running_var  + momentum var * n / (n - 1)   (unbiased)

(momentum=None: a cumulative average, factor 1 / num_batches_tracked). In evaluation it uses the
running estimates, so one sample's output no longer depends on the rest of the batch.
"""

from ..._dtype import int64
from ...creation import empty, ones, tensor, zeros
from ...device import check_device
from ...ops.normalization import batch_norm
from .. import init
from ..module import Module
from ..parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


class _BatchNorm(Module):
    """The shared machinery; subclasses only check the input's number of dims."""

    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        check_device(device)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(empty(num_features, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(num_features, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches seen."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        """Reset the running estimates, weight to 1 and bias to 0."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input_dim(self, input):
        raise NotImplementedError(f"{type(self).__name__} must say which input shapes it accepts "
                                  "(_check_input_dim)")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics in training, and in evaluation when there are no running estimates
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return batch_norm(input, self.running_mean if track else None,
                          self.running_var if track else None, self.weight, self.bias,
                          use_batch, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C.

    y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c, with the batch's statistics over
    N (and L) in training, the running estimates in evaluation (see the module docstring).

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance (default 1e-5).
        momentum (float or None): weight of each new batch in the running estimates (default
            0.1); None for a cumulative average.
        affine (bool): learn weight (and bias) per channel (default True).
        track_running_stats (bool): keep running estimates (default True); if False, batch
            statistics are used in evaluation too.
        bias (bool, keyword-only): learn a bias (default True).

    Shape:
        (N, C) or (N, C, L); the output has the input's shape.

    Example:
        >>> bn = glassgrad.nn.BatchNorm1d(2)
        >>> bn(glassgrad.tensor([[1.0, 2.0], [3.0, 6.0]]))
        tensor([[-1.0000, -1.0000],
                [ 1.0000,  1.0000]], grad_fn=<NativeBatchNormBackward0>)
        >>> bn.running_mean
        tensor([0.2000, 0.4000])
    """

    def _check_input_dim(self, input):
        if input.dim() != 2 and input.dim() != 3:
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) input, per channel C.

    y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c, with the batch's statistics over
    N, H and W in training, the running estimates in evaluation (see the module docstring).

    Args:
        num_features (int): C, the number of channels.
        eps (float): added to the variance (default 1e-5).
        momentum (float or None): weight of each new batch in the running estimates (default
            0.1); None for a cumulative average.
        affine (bool): learn weight (and bias) per channel (default True).
        track_running_stats (bool): keep running estimates (default True).
        bias (bool, keyword-only): learn a bias (default True).

    Shape:
        (N, C, H, W); the output has the input's shape.

    Example:
        >>> bn = glassgrad.nn.BatchNorm2d(3)
        >>> bn(glassgrad.randn(8, 3, 4, 4)).shape
        glassgrad.Size([8, 3, 4, 4])
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of (N, C, D, H, W) input, per channel C.

    y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c (see BatchNorm2d).

    Args:
        num_features (int): C, the number of channels.
        eps, momentum, affine, track_running_stats, bias: as for BatchNorm1d.

    Shape:
        (N, C, D, H, W); the output has the input's shape.

    Example:
        >>> glassgrad.nn.BatchNorm3d(2)(glassgrad.randn(4, 2, 3, 3, 3)).shape
        glassgrad.Size([4, 2, 3, 3, 3])
    """

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")
