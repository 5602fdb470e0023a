"""The hand-written NumPy baseline for the conv benchmark: im2col convolutions, by hand both ways.

Conv2d(1,8,3)-ReLU-MaxPool2-Conv2d(8,16,3)-ReLU-MaxPool2-Flatten-Linear(400,10), stride 1, no
padding. Activations are kept channels-last (N, H, W, C), the layout im2col likes: the windows of
a layer are k*k shifted slices copied into one (N*H'*W', k*k*C) matrix (twice as fast as
reshaping a ``sliding_window_view``), the convolution is one matrix product with the weight as
(out, k*k*C), and the backward pass is two matrix products plus k*k shifted additions (col2im).
Only at Flatten do the activations go back to PyTorch's (N, C, H, W) order, so weights copied
from a torch model give torch's numbers.
Max pooling takes the maximum of four strided views (``argmax`` over windows is 3x slower).
"""

import numpy as np
from _numpy_nets import Adam, softmax_cross_entropy


class Conv:
    """A k x k convolution, stride 1, no padding, on channels-last input."""

    def __init__(self, weight, bias):
        self.weight = weight                    # (out, in, k, k), PyTorch's layout
        self.bias = bias
        self.k = weight.shape[-1]

    def matrix(self):
        """The weight as (out, k*k*in), the order of a column of ``cols``."""
        return self.weight.transpose(0, 2, 3, 1).reshape(len(self.weight), -1)

    def forward(self, x):
        n, h, w, c = x.shape
        k = self.k
        ho, wo = h - k + 1, w - k + 1
        cols = np.empty((n, ho, wo, k, k, c), dtype=x.dtype)   # im2col: k*k shifted copies
        for i in range(k):
            for j in range(k):
                cols[:, :, :, i, j, :] = x[:, i:i + ho, j:j + wo, :]
        self.cols = cols.reshape(n * ho * wo, k * k * c)
        self.in_shape = x.shape
        out = self.cols @ self.matrix().T                       # y = cols W^T + b
        out += self.bias
        return out.reshape(n, ho, wo, -1)

    def backward(self, grad, need_input_grad=True):
        """dW = g^T cols, db = sum g; dx = col2im(g W) when ``need_input_grad``."""
        n, ho, wo, out_channels = grad.shape
        c, k = self.in_shape[-1], self.k
        g = grad.reshape(-1, out_channels)
        d_weight = (g.T @ self.cols).reshape(out_channels, k, k, c).transpose(0, 3, 1, 2)
        d_bias = g.sum(axis=0)
        if not need_input_grad:
            return None, d_weight, d_bias
        d_cols = (g @ self.matrix()).reshape(n, ho, wo, k, k, c)
        d_x = np.zeros(self.in_shape, dtype=grad.dtype)
        for i in range(k):                                      # col2im: add the shifts back
            for j in range(k):
                d_x[:, i:i + ho, j:j + wo, :] += d_cols[:, :, :, i, j, :]
        return d_x, d_weight, d_bias


class MaxPool2:
    """2x2 max pooling, stride 2 (odd edges dropped, as PyTorch's floor mode), channels-last.

    The four corners of the windows are four strided views; the backward pass sends each
    window's gradient to its first maximum in row-major order, as PyTorch does.
    """

    def corners(self, x):
        ho, wo = x.shape[1] // 2, x.shape[2] // 2
        return [x[:, i:2 * ho:2, j:2 * wo:2, :] for i in (0, 1) for j in (0, 1)]

    def forward(self, x):
        self.x = x
        a, b, c, d = self.corners(x)
        self.out = np.maximum(np.maximum(a, b), np.maximum(c, d))
        return self.out

    def backward(self, grad):
        d_x = np.zeros_like(self.x)
        taken = np.zeros(self.out.shape, dtype=bool)
        for corner, d_corner in zip(self.corners(self.x), self.corners(d_x)):
            first = corner == self.out
            first &= ~taken
            taken |= first
            np.multiply(grad, first, out=d_corner)
        return d_x


class ConvNet:
    """The benchmark's network; ``params`` in PyTorch's order and layouts."""

    def __init__(self, params):
        self.params = [np.array(p, dtype=np.float32) for p in params]
        w1, b1, w2, b2, self.w3, self.b3 = self.params
        self.conv1, self.conv2 = Conv(w1, b1), Conv(w2, b2)
        self.pool1, self.pool2 = MaxPool2(), MaxPool2()

    def forward(self, images):
        """images (N, 1, 28, 28) -> logits (N, 10)."""
        x = images.transpose(0, 2, 3, 1)                    # NCHW -> NHWC
        self.a1 = np.maximum(self.conv1.forward(x), 0)      # (N, 26, 26, 8)
        p1 = self.pool1.forward(self.a1)                    # (N, 13, 13, 8)
        self.a2 = np.maximum(self.conv2.forward(p1), 0)     # (N, 11, 11, 16)
        p2 = self.pool2.forward(self.a2)                    # (N, 5, 5, 16)
        self.flat = p2.transpose(0, 3, 1, 2).reshape(len(p2), -1)   # PyTorch's C, H, W order
        return self.flat @ self.w3.T + self.b3

    def backward(self, grad):
        """Gradients for ``params`` from d loss / d logits."""
        d_w3 = grad.T @ self.flat
        d_b3 = grad.sum(axis=0)
        d_p2 = (grad @ self.w3).reshape(-1, 16, 5, 5).transpose(0, 2, 3, 1)
        d_a2 = self.pool2.backward(d_p2)
        d_a2 *= self.a2 > 0                                 # ReLU
        d_p1, d_w2, d_b2 = self.conv2.backward(d_a2)
        d_a1 = self.pool1.backward(d_p1)
        d_a1 *= self.a1 > 0
        _, d_w1, d_b1 = self.conv1.backward(d_a1, need_input_grad=False)
        return [d_w1, d_b1, d_w2, d_b2, d_w3, d_b3]


class Step:
    """One Adam step on a fixed batch: forward, softmax cross-entropy, backward, update."""

    def __init__(self, params, images, labels, lr=1e-3):
        self.net = ConvNet(params)
        self.optimizer = Adam(self.net.params, lr=lr)
        self.images, self.labels = images, labels

    def __call__(self):
        loss, grad = softmax_cross_entropy(self.net.forward(self.images), self.labels)
        self.optimizer.step(self.net.backward(grad))
        return loss
