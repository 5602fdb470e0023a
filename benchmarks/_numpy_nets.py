"""The hand-written NumPy baseline: an MLP, softmax cross-entropy and Adam, with no framework.

This is what glassgrad is measured against: the same network a careful person would write
directly in NumPy, float32 throughout, forward and backward by hand, the optimizer updating the
arrays in place with reusable scratch buffers. Weights are kept in PyTorch's layout
(``weight`` is ``(out, in)``, ``y = x @ W.T + b``) so they can be copied from a torch model, and
the three implementations start from the same numbers.
"""

import math

import numpy as np


def softmax_cross_entropy(logits, target):
    """Mean cross-entropy of ``logits`` (N, C) against class indices, and d loss / d logits.

    loss = mean_i(logsumexp(z_i) - z_i[y_i]);  d loss / d z = (softmax(z) - onehot(y)) / N
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, target]))
    grad = exp / total
    grad[rows, target] -= 1.0
    grad /= n
    return loss, grad


class Adam:
    """Adam as torch.optim.Adam (no weight decay), updating a list of arrays in place.

    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.lr, (self.b1, self.b2), self.eps = lr, betas, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.scratch = [np.empty_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        step_size = self.lr / (1 - self.b1 ** self.t)
        root_correction = math.sqrt(1 - self.b2 ** self.t)
        for p, g, m, v, s in zip(self.params, grads, self.m, self.v, self.scratch):
            m *= self.b1
            np.multiply(g, 1 - self.b1, out=s)
            m += s
            v *= self.b2
            np.multiply(g, g, out=s)
            s *= 1 - self.b2
            v += s
            np.sqrt(v, out=s)
            s /= root_correction
            s += self.eps
            np.divide(m, s, out=s)
            s *= step_size
            p -= s


class MLP:
    """Linear-ReLU-...-Linear by hand: ``forward`` keeps what ``backward`` needs."""

    def __init__(self, weights):
        """``weights``: ``[W0, b0, W1, b1, ...]`` float32 arrays, W of shape (out, in)."""
        self.params = [np.array(w, dtype=np.float32) for w in weights]
        self.layers = len(self.params) // 2

    @classmethod
    def init(cls, sizes, seed=0):
        """PyTorch's default init: W, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        rng = np.random.default_rng(seed)
        weights = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = 1.0 / np.sqrt(fan_in)
            weights.append(rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32))
            weights.append(rng.uniform(-bound, bound, fan_out).astype(np.float32))
        return cls(weights)

    def forward(self, x):
        """Logits; saves each layer's input (the ReLU outputs) for the backward pass."""
        self.inputs = []
        h = x
        for i in range(self.layers):
            self.inputs.append(h)
            w, b = self.params[2 * i], self.params[2 * i + 1]
            h = h @ w.T
            h += b
            if i < self.layers - 1:
                np.maximum(h, 0, out=h)
        return h

    def backward(self, grad):
        """Gradients ``[dW0, db0, ...]`` from d loss / d logits (chain rule, last layer first)."""
        grads = [None] * len(self.params)
        for i in reversed(range(self.layers)):
            a = self.inputs[i]
            w = self.params[2 * i]
            grads[2 * i] = grad.T @ a            # dL/dW = g^T a
            grads[2 * i + 1] = grad.sum(axis=0)  # dL/db = sum over the batch
            if i > 0:
                grad = grad @ w                  # dL/da = g W
                grad *= a > 0                    # through ReLU: a = max(h, 0)
        return grads


class Trainer:
    """Shuffled epochs of mini-batch Adam on an :class:`MLP`, batches cut by slicing."""

    def __init__(self, model, x, y, batch_size, lr=1e-3, seed=0):
        self.model, self.x, self.y, self.batch_size = model, x, y, batch_size
        self.optimizer = Adam(model.params, lr=lr)
        self.rng = np.random.default_rng(seed)

    def epoch(self):
        order = self.rng.permutation(len(self.x))
        x, y = self.x[order], self.y[order]
        for start in range(0, len(x), self.batch_size):
            xb = x[start:start + self.batch_size]
            yb = y[start:start + self.batch_size]
            _, grad = softmax_cross_entropy(self.model.forward(xb), yb)
            self.optimizer.step(self.model.backward(grad))

    def accuracy(self, x, y):
        return float((self.model.forward(x).argmax(axis=1) == y).mean())


class IndexingTrainer(Trainer):
    """The same, with each batch gathered by its indices: ``x[idx]`` for a slice ``idx`` of a
    shuffled permutation (how a framework loop without a DataLoader is fed)."""

    def epoch(self):
        order = self.rng.permutation(len(self.x))
        for start in range(0, len(self.x), self.batch_size):
            idx = order[start:start + self.batch_size]
            _, grad = softmax_cross_entropy(self.model.forward(self.x[idx]), self.y[idx])
            self.optimizer.step(self.model.backward(grad))
