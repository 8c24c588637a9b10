"""How sure an accuracy is: intervals and tests on the test faces.

Every test face is one independent trial. :func:`accuracy_interval` says
how far the accuracy on another test set of the same size could fall;
:func:`mcnemar_test` compares two classifiers on the *same* faces (paired:
only the faces where they disagree count); :func:`binomial_test` compares
one classifier with a fixed figure, such as a published accuracy on the same
test split.
"""

import numpy as np

__all__ = ["accuracy_interval", "mcnemar_test", "binomial_test"]


def accuracy_interval(correct, n, *, confidence=0.95):
    """Wilson score interval of an accuracy of ``correct`` out of ``n`` test faces.

    Each face is taken as an independent trial: the interval says how far
    the accuracy on another test set of ``n`` faces from the same
    distribution could fall. With 3,589 faces near 68 % it is about +/- 1.5
    points.

    Parameters
    ----------
    correct, n : int
    confidence : float, default=0.95

    Returns
    -------
    low, high : float
        In [0, 1].

    Examples
    --------
    >>> low, high = accuracy_interval(2466, 3589)
    >>> round(100 * low, 2), round(100 * high, 2)
    (67.17, 70.21)
    """
    from scipy.stats import norm

    if n <= 0:
        raise ValueError(f"n must be positive; got {n}.")
    z = float(norm.ppf(0.5 + confidence / 2))
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def mcnemar_test(y_true, y_pred_a, y_pred_b):
    """Exact McNemar test of two classifiers scored on the same faces.

    Only the faces where exactly one of the two is right carry information:
    under the hypothesis that both are equally accurate, each such face is
    a fair coin between them. The p-value is the two-sided exact binomial
    test of that coin.

    Parameters
    ----------
    y_true, y_pred_a, y_pred_b : array-like of shape (n,)
        True labels and the two classifiers' predictions, face by face.

    Returns
    -------
    result : dict
        ``only_a`` (faces only ``a`` classifies right), ``only_b`` (only
        ``b``) and ``pvalue`` (two-sided; 1.0 when they never disagree on
        correctness).

    Examples
    --------
    >>> r = mcnemar_test([0, 0, 1, 1, 1, 0], [0, 0, 1, 1, 1, 1], [1, 1, 0, 1, 1, 0])
    >>> r["only_a"], r["only_b"], round(r["pvalue"], 3)
    (3, 1, 0.625)
    """
    from scipy.stats import binomtest

    y_true, a, b = (np.asarray(v).ravel() for v in (y_true, y_pred_a, y_pred_b))
    if not (len(y_true) == len(a) == len(b)):
        raise ValueError("y_true, y_pred_a and y_pred_b must have the same length; got "
                         f"{len(y_true)}, {len(a)} and {len(b)}.")
    right_a, right_b = a == y_true, b == y_true
    only_a = int(np.sum(right_a & ~right_b))
    only_b = int(np.sum(right_b & ~right_a))
    pvalue = 1.0 if only_a + only_b == 0 else float(binomtest(only_a, only_a + only_b).pvalue)
    return {"only_a": only_a, "only_b": only_b, "pvalue": pvalue}


def binomial_test(correct, n, accuracy):
    """Two-sided exact binomial test of ``correct`` out of ``n`` against a fixed accuracy.

    For comparing a pipeline with a published figure on the same test split:
    the published accuracy is taken as exact (its own sampling error on the
    same faces is unknown, so the test is a little optimistic about
    differences).

    Parameters
    ----------
    correct, n : int
    accuracy : float
        The reference accuracy, in [0, 1].

    Returns
    -------
    pvalue : float

    Examples
    --------
    >>> round(binomial_test(2466, 3589, 0.67484), 3)  # 68.71 % against 67.484 %
    0.121
    """
    from scipy.stats import binomtest

    if not 0 <= accuracy <= 1:
        raise ValueError(f"accuracy must be in [0, 1]; got {accuracy}.")
    return float(binomtest(int(correct), int(n), float(accuracy)).pvalue)
