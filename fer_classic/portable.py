"""Fitted estimators as JSON and arrays: model files that load without running code.

:func:`encode` turns a fitted estimator made of known classes into a JSON-able
description (class names, parameters, fitted attributes) and a dictionary of
NumPy arrays; :func:`decode` builds the estimator back from them. Nothing is
pickled: arrays are stored as ``.npy`` members of an ``.npz`` archive and read
with ``numpy.load(allow_pickle=False)``, and only the classes in
:data:`TRUSTED` can be named by a description, so that reading a model file
constructs those classes and fills in their attributes, and nothing else.

:func:`fer_classic.persist.save_model` writes this format for paths ending in
``.model``; :func:`~fer_classic.persist.load_model` reads it.

Examples
--------
>>> import numpy as np
>>> from fer_classic.models import LinearSVM
>>> rng = np.random.default_rng(0)
>>> X = rng.normal(size=(40, 3)); y = (X[:, 0] > 0).astype(int)
>>> svm = LinearSVM().fit(X, y)
>>> spec, arrays = encode(svm)
>>> spec["estimator"], sorted(arrays)[:2]
('fer_classic.models.LinearSVM', ['a0', 'a1'])
>>> bool((decode(spec, arrays).predict(X) == svm.predict(X)).all())
True
"""

import math
import numbers

import numpy as np

__all__ = ["PortableError", "TRUSTED", "encode", "decode", "read_npz"]


class PortableError(ValueError):
    """An estimator that cannot be stored without pickle, or a malformed description."""


def _trusted():
    from joblib import Memory  # noqa: F401  (stored as None, see encode)
    from sklearn.decomposition import PCA
    from sklearn.mixture import GaussianMixture
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import StandardScaler

    from . import features, models

    classes = [Pipeline, FeatureUnion, PCA, GaussianMixture, StandardScaler]
    names = {f"sklearn.{c.__module__.split('.')[1]}.{c.__name__}": c for c in classes}
    for module, public in ((features, "fer_classic.features"), (models, "fer_classic.models")):
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type):
                names[f"{public}.{name}"] = obj
    return names


#: Class name -> class: the only classes a model description may name.
TRUSTED = _trusted()
_NAME_OF = {cls: name for name, cls in TRUSTED.items()}


def encode(estimator):
    """A JSON-able description of a fitted estimator, and its arrays.

    Parameters
    ----------
    estimator : estimator
        Built of :data:`TRUSTED` classes only, whose parameters and fitted
        attributes are numbers, strings, None, NumPy arrays (not of objects),
        lists, tuples, string-keyed dictionaries or further trusted
        estimators. A :class:`joblib.Memory` parameter (a cache location, not
        part of the model) is stored as None.

    Returns
    -------
    spec : dict
        The description (``json.dumps`` accepts it).
    arrays : dict of str to ndarray
        The arrays the description names.

    Raises
    ------
    PortableError
        Naming the attribute that cannot be stored, and its type.
    """
    arrays = {}
    memo = {}  # id of an array -> its key: an array held twice is stored once
    return _encode(estimator, arrays, type(estimator).__name__, memo), arrays


def _encode(obj, arrays, where, memo):
    from joblib import Memory

    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, numbers.Integral) and not isinstance(obj, np.generic):
        return int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"float": repr(obj)}
    if isinstance(obj, (np.ndarray, np.generic)):
        if id(obj) in memo:
            return {"array": memo[id(obj)]}
        arr = np.asarray(obj)
        if arr.dtype.hasobject or arr.dtype.kind == "V":
            raise PortableError(f"{where}: an array of {arr.dtype} cannot be stored without "
                                "pickle.")
        key = f"a{len(arrays)}"
        arrays[key] = arr
        if isinstance(obj, np.ndarray):
            memo[id(obj)] = key
        return {"array": key}
    if isinstance(obj, slice):  # e.g. the feature blocks of a bag of words with a pyramid
        return {"slice": [_encode(v, arrays, f"{where}.{k}", memo)
                          for k, v in zip(("start", "stop", "step"), (obj.start, obj.stop,
                                                                      obj.step))]}
    if isinstance(obj, tuple):
        return {"tuple": [_encode(v, arrays, f"{where}[{i}]", memo)
                          for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode(v, arrays, f"{where}[{i}]", memo) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise PortableError(f"{where}: only dictionaries with string keys can be stored.")
        return {"dict": {k: _encode(v, arrays, f"{where}[{k!r}]", memo)
                         for k, v in obj.items()}}
    if isinstance(obj, Memory):
        return None
    cls = type(obj)
    if cls in _NAME_OF:
        params = obj.get_params(deep=False)
        state = {k: v for k, v in vars(obj).items() if k not in params}
        return {"estimator": _NAME_OF[cls],
                "params": {k: _encode(v, arrays, f"{where}.{k}", memo)
                           for k, v in params.items()},
                "state": {k: _encode(v, arrays, f"{where}.{k}", memo)
                          for k, v in state.items()}}
    raise PortableError(
        f"{where}: a {cls.__module__}.{cls.__qualname__} cannot be stored without pickle "
        "(only numbers, strings, arrays, slices, lists, tuples, dictionaries and the "
        "estimators of "
        "fer_classic.portable.TRUSTED can); save this model as a .joblib file instead.")


def decode(spec, arrays):
    """The estimator a description from :func:`encode` describes.

    Parameters
    ----------
    spec : dict
    arrays : mapping of str to ndarray

    Returns
    -------
    estimator : estimator

    Raises
    ------
    PortableError
        If the description names an untrusted class or a missing array, or is
        malformed.
    """
    return _decode(spec, arrays, "model")


def _decode(node, arrays, where):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict) or len(node) not in (1, 3):
        raise PortableError(f"{where}: malformed model description.")
    if "array" in node:
        key = node["array"]
        if key not in arrays:
            raise PortableError(f"{where}: the array {key!r} is missing from the model file.")
        arr = arrays[key]
        return arr[()] if arr.ndim == 0 else arr
    if "float" in node:
        return float(node["float"])
    if "tuple" in node:
        return tuple(_decode(v, arrays, f"{where}[{i}]") for i, v in enumerate(node["tuple"]))
    if "slice" in node:
        bounds = node["slice"]
        if (not isinstance(bounds, list) or len(bounds) != 3
                or not all(b is None or (isinstance(b, int) and not isinstance(b, bool))
                           for b in bounds)):
            raise PortableError(f"{where}: a slice must be [start, stop, step] of integers or "
                                f"null; got {bounds!r}.")
        return slice(*bounds)
    if "dict" in node:
        return {k: _decode(v, arrays, f"{where}[{k!r}]") for k, v in node["dict"].items()}
    if "estimator" in node:
        name = node["estimator"]
        cls = TRUSTED.get(name)
        if cls is None:
            raise PortableError(f"{where}: {name!r} is not one of the classes a model file "
                                "may hold (fer_classic.portable.TRUSTED).")
        params = {k: _decode(v, arrays, f"{where}.{k}") for k, v in node["params"].items()}
        obj = cls(**params)
        for k, v in node["state"].items():
            setattr(obj, k, _decode(v, arrays, f"{where}.{k}"))
        return obj
    raise PortableError(f"{where}: malformed model description.")


def read_npz(fh):
    """The arrays of the ``.npz`` archive in the file ``fh``, read without pickle.

    ``fh`` may hold other bytes before the archive (a model file's header):
    :mod:`zipfile` finds the archive from its end. Each array is read from
    the file into its own buffer, with ``allow_pickle=False``.
    """
    import zipfile

    arrays = {}
    with zipfile.ZipFile(fh) as zf:
        for name in zf.namelist():
            if not name.endswith(".npy"):
                raise PortableError(f"unexpected member {name!r} in the model's arrays.")
            with zf.open(name) as member:
                arrays[name[:-4]] = np.lib.format.read_array(member, allow_pickle=False)
    return arrays
