"""Special functions NumPy lacks, for the primitives that need them.

``erf`` (for the exact GELU, x * Phi(x) with Phi(x) = (1 + erf(x / sqrt 2)) / 2): NumPy has no
vectorised error function and the core depends on NumPy alone (SciPy's ``special.erf`` would be
the library choice otherwise), so it is computed here from W. J. Cody's published rational
approximations, accurate to about 4e-16 relative to ``math.erf``.
"""

import math

import numpy as np

__all__ = ["erf"]

# W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969), accurate to about
# 1e-16: erf(z) = z A(z^2)/B(z^2) for |z| <= 0.46875, erfc(z) = e^(-z^2) C(z)/D(z) up to 4, and
# erfc(z) = e^(-z^2)/z (1/sqrt(pi) - t P(t)/Q(t)), t = 1/z^2, beyond.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)


def _rational(t, num, den):
    """Cody's ratio (num[-1] t^n + num[0] t^(n-1) + ...) / (t^n + den[0] t^(n-1) + ...)."""
    top, bottom = num[-1] * t, t
    for a, b in zip(num[:-2], den[:-1]):
        top, bottom = (top + a) * t, (bottom + b) * t
    return (top + num[-2]) / (bottom + den[-1])


def erf(z):
    """The error function erf(z) = 2/sqrt(pi) * integral from 0 to z of e^(-t^2) dt, in float64."""
    z = np.asarray(z, dtype=np.float64)
    y = np.abs(z)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        small = y * _rational(y * y, _ERF_A, _ERF_B)
        middle = _rational(y, _ERFC_C, _ERFC_D)
        t = 1 / (y * y)
        tail = (1 / math.sqrt(math.pi) - t * _rational(t, _ERFC_P, _ERFC_Q)) / y
        erfc = np.exp(-y * y) * np.where(y <= 4, middle, tail)
        large = 1 - np.where(y >= 27, 0.0, erfc)  # erfc(27) < 1e-300
    return np.copysign(np.where(y <= 0.46875, small, large), z)
