"""JSON-ready values for results files and model headers, the same in every process."""

import numbers
import platform
import re

import numpy as np

__all__ = ["to_jsonable", "stable_repr", "environment"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def stable_repr(obj):
    """``repr(obj)`` in full and without memory addresses, the same in every process.

    Estimators are printed unabridged (scikit-learn shortens reprs of over
    700 characters with an ellipsis), and ``<function f at 0x7f...>``
    becomes ``<function f>``, so that a run record's configuration compares
    equal across runs.

    Examples
    --------
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> stable_repr(FunctionTransformer(abs))
    'FunctionTransformer(func=<built-in function abs>)'
    """
    from sklearn.base import BaseEstimator

    text = obj.__repr__(N_CHAR_MAX=10**9) if isinstance(obj, BaseEstimator) else repr(obj)
    return _ADDRESS.sub("", text)


def to_jsonable(obj):
    """``obj`` with NumPy scalars and arrays and tuples as JSON types.

    Non-finite floats become None (JSON has no NaN); any other object its
    :func:`stable_repr`.

    Examples
    --------
    >>> to_jsonable({"a": np.float32(0.5), "b": (np.int64(1), float("nan"))})
    {'a': 0.5, 'b': [1, None]}
    """
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, numbers.Integral):
        return int(obj)
    if isinstance(obj, numbers.Real):
        value = float(obj)
        return value if np.isfinite(value) else None
    if obj is None or isinstance(obj, str):
        return obj
    return stable_repr(obj)


def environment():
    """Versions of fer_classic and the libraries its results depend on."""
    import joblib
    import scipy
    import sklearn

    from .. import __version__

    return {
        "fer_classic": __version__,
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "joblib": joblib.__version__,
        "python": platform.python_version(),
    }
