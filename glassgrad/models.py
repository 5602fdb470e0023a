"""Ready-made models and optimizers by name, shared by the command line and the estimators.

``mlp(n_inputs, hidden, n_outputs)`` is the multilayer perceptron of the course notes:

    x -> Linear(n_inputs, h1) -> act [-> Dropout] -> ... -> Linear(h_k, n_outputs) -> output

It is a plain ``nn.Sequential``, so ``print(model)``, ``state_dict()`` and hooks work as for any
module. ``ACTIVATIONS`` and ``OPTIMIZERS`` map the names that ``glassgrad train --activation``
/ ``--optimizer`` and ``glassgrad.sklearn`` accept to the classes.

Example:
    >>> model = mlp(64, [128, 64], 10, activation="relu")
    >>> model[0]
    Linear(in_features=64, out_features=128, bias=True)
"""

import functools

from . import nn, optim

__all__ = ["mlp", "make_optimizer", "ACTIVATIONS", "OPTIMIZERS"]

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "logistic": nn.Sigmoid,  # scikit-learn's name for the sigmoid
    "gelu": nn.GELU,
    "elu": nn.ELU,
    "leaky_relu": nn.LeakyReLU,
    "silu": nn.SiLU,
    "identity": nn.Identity,
}

OPTIMIZERS = {
    "adam": optim.Adam,
    "adamw": optim.AdamW,
    "sgd": functools.partial(optim.SGD, momentum=0.9),  # as scikit-learn's MLP: momentum 0.9
    "rmsprop": optim.RMSprop,
    "adagrad": optim.Adagrad,
}


def mlp(n_inputs, hidden, n_outputs, activation="relu", dropout=0.0):
    """A ``Sequential`` MLP: a Linear + activation (+ Dropout) per hidden size, a Linear output.

    Args:
        n_inputs: the number of input features.
        hidden: the hidden layers' sizes, e.g. ``[128, 64]`` (empty: a linear model).
        n_outputs: the number of outputs (classes, or regression targets).
        activation: a name in ``ACTIVATIONS``.
        dropout: the dropout probability after each activation (0: no Dropout layers).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of "
                         f"{', '.join(ACTIVATIONS)}")
    layers, width = [], n_inputs
    for size in hidden:
        layers += [nn.Linear(width, size), ACTIVATIONS[activation]()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)


def make_optimizer(name, parameters, lr, weight_decay=0.0):
    """The optimizer called ``name`` in ``OPTIMIZERS`` over ``parameters``."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    return OPTIMIZERS[name](parameters, lr=lr, weight_decay=weight_decay)
