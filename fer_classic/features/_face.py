"""The base of the transformers over stacks of faces of one size.

:class:`FaceTransformer` holds what :class:`~fer_classic.features.Pixels`,
:class:`~fer_classic.features.HOG`, :class:`~fer_classic.features.LBP` and
:class:`~fer_classic.features.HistogramEqualization` share: the face size
``image_shape``, the reading of ``(n, h, w)`` stacks and ``(n, h * w)`` rows
(:func:`~fer_classic.utils.validation.check_faces`), ``n_features_in_`` and
the parameter constraints common to them, checked by scikit-learn's
parameter validation.

It also holds the one exception to the intensity contract of
:func:`~fer_classic.utils.validation.check_faces` (uint8 in 0..255, floats in
[0, 1]): a transformer whose features do not depend on the intensity scale
(HOG, LBP, dense SIFT without a contrast threshold, standardised pixels)
accepts floats of any finite value (:func:`check_face_values`), read by the
same rule as floats in [0, 1], times 255 (:func:`scale_intensities`). Their
features are then those of the same faces on any other scale, so nothing is
silently rescaled; floats in [0, 1] give exactly what they gave before.
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval, InvalidParameterError

from .. import FACE_SIZE
from ..utils.validation import FLOAT_TOLERANCE, check_faces

__all__ = ["FaceTransformer", "N_JOBS_CONSTRAINT", "PAIR_CONSTRAINT", "check_face_values",
           "check_pair", "scale_intensities"]

#: ``n_jobs``: None or a non-zero integer (joblib's meaning, ``-1`` for all cores).
N_JOBS_CONSTRAINT = [
    Interval(Integral, None, -1, closed="right"),
    Interval(Integral, 1, None, closed="left"),
    None,
]

#: A positive int ``k`` (meaning ``(k, k)``) or a pair; :func:`check_pair` checks the pair.
PAIR_CONSTRAINT = [Interval(Integral, 1, None, closed="left"), "array-like"]


def _is_positive_int(value):
    return (
        isinstance(value, Integral)
        and not isinstance(value, (bool, np.bool_))
        and value >= 1
    )


def check_pair(value, name, owner, *, allow_int=True):
    """``value`` as a pair ``(rows, cols)`` of positive ints.

    Parameters
    ----------
    value : int or pair of int
        The parameter value; an int ``k`` means ``(k, k)`` when ``allow_int``.
    name : str
        Parameter name, for the error message.
    owner : str
        Name of the estimator, for the error message.
    allow_int : bool, default=True
        Whether a single int stands for a square pair.

    Returns
    -------
    pair : tuple of (int, int)

    Raises
    ------
    InvalidParameterError
        A ``ValueError`` naming the parameter, when ``value`` is not such a
        pair.

    Examples
    --------
    >>> check_pair(8, "pixels_per_cell", "HOG")
    (8, 8)
    >>> check_pair([4, 6], "pixels_per_cell", "HOG")
    (4, 6)
    """
    if allow_int and _is_positive_int(value):
        return int(value), int(value)
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) == 2 and all(_is_positive_int(v) for v in pair):
        return int(pair[0]), int(pair[1])
    allowed = "a positive int or a pair" if allow_int else "a pair"
    raise InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {allowed} (rows, cols) of positive "
        f"ints. Got {value!r} instead."
    )


def check_face_values(X, *, image_shape, name="X", any_floats=False):
    """:func:`~fer_classic.utils.validation.check_faces` with ``dtype=None``, floats relaxed.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
    image_shape : tuple of (int, int)
    name : str, default="X"
        Name used in error messages.
    any_floats : bool, default=False
        Accept floats of any finite value, not only intensities in [0, 1]:
        for the transformers whose features do not depend on the intensity
        scale. Integers must still be 8-bit intensities, 0..255.

    Returns
    -------
    faces : ndarray of shape (n, h, w)
        As given (see :func:`scale_intensities` for the 0..255 scale).

    Examples
    --------
    >>> import numpy as np
    >>> check_face_values(np.full((1, 4), 3.5), image_shape=(2, 2), any_floats=True).shape
    (1, 2, 2)
    """
    try:
        arr = np.asarray(X)
    except Exception:  # ragged input: let check_faces word the error
        arr = X
    relaxed = (any_floats and np.issubdtype(getattr(arr, "dtype", np.dtype(object)), np.floating)
               and bool(np.isfinite(arr).all()))  # NaN: check_faces names the face
    return check_faces(arr, image_shape=image_shape, dtype=None, name=name,
                       intensities=not relaxed)


def scale_intensities(faces):
    """Faces validated by :func:`check_face_values` on the 0..255 scale.

    Integer faces are returned as they are; float faces are multiplied by
    255 in their own dtype, so that intensities in [0, 1] map to 0..255,
    and the values within ``FLOAT_TOLERANCE`` of [0, 1] are clipped to it.
    For floats in [0, 1] (within the tolerance) this is exactly
    :func:`~fer_classic.utils.validation.intensities_255`; floats further
    out keep their value, times 255.

    Examples
    --------
    >>> import numpy as np
    >>> scale_intensities(np.array([[[0.5, 1.0000001, 2.0, -1.0]]]))
    array([[[ 127.5,  255. ,  510. , -255. ]]])
    """
    if not np.issubdtype(faces.dtype, np.floating):
        return faces
    out = faces * faces.dtype.type(255)
    if out.size and (out.min() < 0 or out.max() > 255):
        near = (faces >= -FLOAT_TOLERANCE) & (faces <= 1 + FLOAT_TOLERANCE)
        np.clip(out, 0, 255, out=out, where=near)
    return out


class FaceTransformer(TransformerMixin, BaseEstimator):
    """Base of the stateless transformers over grayscale faces of size ``image_shape``.

    Subclasses have an ``image_shape`` parameter and declare
    ``_parameter_constraints``, which ``fit`` checks through scikit-learn's
    parameter validation. They read their input with :meth:`_check_faces`:
    rows of ``h * w`` values are faces of shape ``image_shape = (h, w)``, and
    a 3-D stack must be ``(n, h, w)``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # the output dtype is fixed
        return tags

    def __setstate__(self, state):
        # transformers pickled before they had image_shape read 48x48 faces
        state.setdefault("image_shape", (FACE_SIZE, FACE_SIZE))
        super().__setstate__(state)

    def _any_floats(self):
        """Whether the features do not depend on the intensity scale (see the module).

        Such transformers accept floats of any finite value; the others
        (the default) only floats in [0, 1].
        """
        return False

    def _image_shape(self):
        return check_pair(self.image_shape, "image_shape", type(self).__name__, allow_int=False)

    def _check_faces(self, X, *, reset):
        """Validated ``(n, h, w)`` stack of faces, as given (see ``check_faces(dtype=None)``).

        ``reset=True`` (in ``fit``) sets ``n_features_in_``. Sparse and
        complex input, and rows of the wrong length, are refused here with
        scikit-learn's wording; the rest is
        :func:`~fer_classic.utils.validation.check_faces`'s.
        """
        name = type(self).__name__
        h, w = self._image_shape()
        if sp.issparse(X):
            raise TypeError(
                f"Sparse input is not supported: {name} takes dense faces (n, {h}, {w}) "
                f"or (n, {h * w}); convert with X.toarray()."
            )
        try:
            arr = np.asarray(X)
        except Exception:  # ragged input: let check_faces word the error
            arr = X
        if np.issubdtype(getattr(arr, "dtype", np.dtype(object)), np.complexfloating):
            raise ValueError(f"Complex data not supported: {name} takes real intensities.")
        expected = h * w if reset else self.n_features_in_
        shape = getattr(arr, "shape", ())
        if len(shape) == 1:
            raise ValueError(
                f"X must be 2-D, faces (n, {h * w}), or a stack (n, {h}, {w}); got a 1-D "
                f"array of shape {tuple(shape)}. Reshape your data with X.reshape(1, -1) "
                "if it holds one face."
            )
        if len(shape) == 2 and shape[1] != expected:
            if shape[1] == 0:
                problem = f"while a minimum of {expected} is required"
            else:
                problem = f"but {name} is expecting {expected} features as input"
            raise ValueError(
                f"X has {shape[1]} feature(s) (shape={tuple(shape)}) {problem}: rows of "
                f"{h * w} pixels or faces of shape (n, {h}, {w}) (image_shape={(h, w)})."
            )
        faces = check_face_values(arr, image_shape=(h, w), any_floats=self._any_floats())
        if reset:
            self.n_features_in_ = h * w
        return faces
