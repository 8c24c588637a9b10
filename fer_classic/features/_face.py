"""The base of the transformers over stacks of faces of one size.

:class:`FaceTransformer` holds what :class:`~fer_classic.features.Pixels`,
:class:`~fer_classic.features.HOG`, :class:`~fer_classic.features.LBP` and
:class:`~fer_classic.features.HistogramEqualization` share: the face size
``image_shape``, the reading of ``(n, h, w)`` stacks and ``(n, h * w)`` rows
(:func:`~fer_classic.utils.validation.check_faces`), ``n_features_in_`` and
the parameter constraints common to them, checked by scikit-learn's
parameter validation; :class:`PixelTransformer` adds the ``fit`` and the
feature names of those that give one value per pixel. One side of
``image_shape`` may be ``-1``, as in
:func:`numpy.reshape`: ``fit`` then takes it from the faces it is given
(:func:`check_image_shape`) and records the size in ``image_shape_``.

It also holds the one exception to the intensity contract of
:func:`~fer_classic.utils.validation.check_faces` (uint8 in 0..255, floats in
[0, 1]): a transformer that can read floats of any finite value by the same
rule as floats in [0, 1], times 255 (:func:`scale_intensities`), accepts
them (:func:`check_face_values`). Those whose features do not depend on the
intensity scale (HOG, LBP, dense SIFT without a contrast threshold,
standardised pixels) give the features of the same faces on any other
scale; pixels keep floats on their own scale; histogram equalisation
depends only on the order of a face's levels. So nothing is silently
rescaled, and floats in [0, 1] give exactly what they gave before.

:class:`FaceStackEstimator` is the base of the estimators over local
descriptors (dense SIFT, bags of visual words, Fisher vectors), which take a
stack of faces of any size and fix it in ``fit`` (:func:`check_face_stack`).
"""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from .. import FACE_SIZE
from ..utils.validation import FLOAT_TOLERANCE, check_faces

__all__ = ["FaceStackEstimator", "FaceTransformer", "N_JOBS_CONSTRAINT", "PAIR_CONSTRAINT",
           "check_face_stack", "check_face_values", "check_image_shape", "check_pair",
           "pixel_feature_names", "resolve_image_shape", "scale_intensities"]

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


def check_image_shape(value, owner):
    """``image_shape`` as a pair ``(h, w)`` of positive ints, or with one side ``-1``.

    ``-1`` stands for the side that ``fit`` takes from the faces
    (:func:`resolve_image_shape`), as in :func:`numpy.reshape`.

    Parameters
    ----------
    value : pair of int
        The parameter value.
    owner : str
        Name of the estimator, for the error message.

    Returns
    -------
    image_shape : tuple of (int, int)

    Raises
    ------
    InvalidParameterError
        When ``value`` is not such a pair.

    Examples
    --------
    >>> check_image_shape((48, 48), "HOG")
    (48, 48)
    >>> check_image_shape((1, -1), "HOG")
    (1, -1)
    """
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if (len(pair) == 2 and all(_is_positive_int(v) or _is_minus_one(v) for v in pair)
            and not all(_is_minus_one(v) for v in pair)):
        return int(pair[0]), int(pair[1])
    raise InvalidParameterError(
        f"The 'image_shape' parameter of {owner} must be a pair (rows, cols) of positive "
        f"ints, one of which may be -1 (taken from the faces fit is given). Got {value!r} "
        "instead."
    )


def _is_minus_one(value):
    return isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)) and value == -1


def resolve_image_shape(image_shape, shape, owner):
    """The face size ``(h, w)`` that ``image_shape`` gives to input of shape ``shape``.

    Parameters
    ----------
    image_shape : tuple of (int, int)
        From :func:`check_image_shape`: one side may be ``-1``.
    shape : tuple of int
        Shape of the input: rows ``(n, d)`` are faces of ``d`` pixels, a
        stack ``(n, h, w)`` gives the unknown side.
    owner : str
        Name of the estimator, for the error message.

    Returns
    -------
    image_shape : tuple of (int, int)
        ``image_shape`` itself when no side is ``-1``, or when ``shape``
        does not tell the unknown side (then the input's check fails on
        its shape).

    Raises
    ------
    ValueError
        When rows of ``d`` pixels do not split into whole rows or columns
        of the known side.

    Examples
    --------
    >>> resolve_image_shape((4, -1), (10, 24), "HOG")
    (4, 6)
    >>> resolve_image_shape((-1, 8), (10, 3, 8), "HOG")
    (3, 8)
    """
    h, w = image_shape
    if h != -1 and w != -1:
        return h, w
    known, axis = (w, 1) if h == -1 else (h, 0)
    if len(shape) == 3:
        if shape[1 + axis] != known:  # the known side differs: check_faces says so
            return h, w
        return (known, shape[2]) if axis == 0 else (shape[1], known)
    if len(shape) != 2 or shape[1] == 0:
        return h, w
    if shape[1] % known:
        side = "rows" if axis == 0 else "columns"
        raise ValueError(
            f"X has {shape[1]} features, which do not make faces of {known} {side}: "
            f"{owner}(image_shape={image_shape}) reads rows of a multiple of {known} pixels."
        )
    other = shape[1] // known
    return (known, other) if axis == 0 else (other, known)


def _numeric(arr):
    """An object array of numbers as the numbers it holds (ints stay ints)."""
    if getattr(arr, "dtype", None) != object:
        return arr
    out = np.array(arr.tolist())
    if out.dtype == object:  # not all numbers: numpy's error names the culprit
        out = arr.astype(np.float64)
    return out


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
        As given (see :func:`scale_intensities` for the 0..255 scale); an
        array of Python objects holds the numbers it holds (ints as ints,
        others as floats).

    Examples
    --------
    >>> import numpy as np
    >>> check_face_values(np.full((1, 4), 3.5), image_shape=(2, 2), any_floats=True).shape
    (1, 2, 2)
    """
    try:
        arr = _numeric(np.asarray(X))
    except ValueError:  # ragged input: let check_faces word the error
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


def pixel_feature_names(image_shape):
    """Names ``pixel_{row}_{col}`` of the pixels of faces of ``image_shape``, row by row.

    Examples
    --------
    >>> pixel_feature_names((1, 2))
    array(['pixel_0_0', 'pixel_0_1'], dtype=object)
    """
    h, w = image_shape
    return np.asarray([f"pixel_{r}_{c}" for r in range(h) for c in range(w)], dtype=object)


def check_face_stack(faces, name="faces", image_shape=None, dtype=np.float32, *,
                     any_floats=True):
    """Validated ``(n, h, w)`` stack of faces of any size, by default on the 0..255 scale.

    The reading of the estimators over faces of a size ``fit`` fixes
    (:class:`FaceStackEstimator`: dense SIFT, bags of visual words, Fisher
    vectors) and of :func:`~fer_classic.features.dense_sift`.

    Parameters
    ----------
    faces : array-like of shape (n, h, w) or (n, h * w)
    name : str, default="faces"
        Name used in error messages.
    image_shape : tuple of (int, int) or None, default=None
        With None, 3-D input may have any ``(h, w)`` and 2-D input is read
        as 48x48 faces; otherwise the shape must match.
    dtype : dtype or None, default=np.float32
        Dtype of the intensities returned, on the 0..255 scale
        (:func:`scale_intensities`); None validates only, leaving the values
        as given (for estimators that hand the faces to their extractor,
        which validates them again).
    any_floats : bool, default=True
        Accept floats of any finite value (normalised descriptors do not
        depend on the intensity scale), else only in [0, 1]; either way
        floats are read times 255.

    Returns
    -------
    faces : ndarray of shape (n, h, w)

    Examples
    --------
    >>> import numpy as np
    >>> check_face_stack(np.ones((2, 6, 5))).shape
    (2, 6, 5)
    >>> check_face_stack(np.zeros((1, 2304), dtype=np.uint8)).shape
    (1, 48, 48)
    """
    if sp.issparse(faces):
        raise TypeError(f"{name} is a sparse matrix, but sparse input is not supported: "
                        f"pass the faces as a dense array of shape (n, h, w) or (n, h * w).")
    try:
        arr = faces if hasattr(faces, "ndim") else np.asarray(faces)
    except ValueError:  # ragged lists: let check_faces say what is wrong
        arr = faces
    if np.issubdtype(getattr(arr, "dtype", np.dtype(object)), np.complexfloating):
        raise ValueError(f"Complex data not supported: {name} must hold real intensities.")
    if image_shape is None:
        image_shape = (tuple(arr.shape[1:]) if getattr(arr, "ndim", None) == 3
                       else (FACE_SIZE, FACE_SIZE))
    shape = tuple(getattr(arr, "shape", ()))
    h, w = image_shape
    if len(shape) == 2 and shape[1] != h * w:  # scikit-learn's wording, then the faces'
        need = (f" while a minimum of {h * w} is required" if shape[1] == 0
                else f", but rows of {h * w} pixels are required")
        raise ValueError(
            f"{name} has {shape[1]} feature(s) (shape={shape}){need}: {name} must have "
            f"shape (n, {h}, {w}) or (n, {h * w}) (grayscale {h}x{w} faces)."
        )
    arr = check_face_values(arr, image_shape=tuple(image_shape), name=name,
                            any_floats=any_floats)
    if dtype is None:
        return arr
    return scale_intensities(arr).astype(dtype, copy=False)


class FaceTransformer(TransformerMixin, BaseEstimator):
    """Base of the stateless transformers over grayscale faces of size ``image_shape``.

    Subclasses have an ``image_shape`` parameter and declare
    ``_parameter_constraints``, which ``fit`` checks through scikit-learn's
    parameter validation. They read their input with :meth:`_check_faces`:
    rows of ``h * w`` values are faces of shape ``image_shape = (h, w)``, and
    a 3-D stack must be ``(n, h, w)``. One side may be ``-1``: ``fit`` takes
    it from the faces (rows of ``d`` values are faces of ``(h, d // h)``
    pixels when ``image_shape = (h, -1)``), and ``transform`` then takes
    faces of that size only. ``fit`` records the size in ``image_shape_``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = []  # the output dtype is fixed
        return tags

    def __setstate__(self, state):
        # transformers pickled before they had image_shape read 48x48 faces
        state.setdefault("image_shape", (FACE_SIZE, FACE_SIZE))
        if "n_features_in_" in state and "image_shape_" not in state:
            # fitted before image_shape_ was recorded: image_shape had no -1
            state["image_shape_"] = tuple(int(s) for s in state["image_shape"])
        super().__setstate__(state)

    def _any_floats(self):
        """Whether the features do not depend on the intensity scale (see the module).

        Such transformers accept floats of any finite value; the others
        (the default) only floats in [0, 1].
        """
        return False

    def _image_shape(self):
        """The ``image_shape`` parameter, checked; one side may be ``-1``."""
        return check_image_shape(self.image_shape, type(self).__name__)

    def _check_faces(self, X, *, reset):
        """Validated ``(n, h, w)`` stack of faces, as given (see ``check_faces(dtype=None)``).

        ``reset=True`` (in ``fit``) sets ``image_shape_``, with the side
        ``-1`` of ``image_shape`` taken from ``X``, and ``n_features_in_``;
        otherwise ``X`` must hold faces of ``image_shape_``. Sparse and
        complex input, and rows of the wrong length, are refused here with
        scikit-learn's wording; the rest is
        :func:`~fer_classic.utils.validation.check_faces`'s.
        """
        name = type(self).__name__
        if reset:
            h, w = self._image_shape()
        else:
            h, w = self.image_shape_
        if sp.issparse(X):
            raise TypeError(
                f"Sparse input is not supported: {name} takes dense faces {_stack(h, w)} "
                f"or (n, {_pixels(h, w)}); convert with X.toarray()."
            )
        try:
            arr = _numeric(np.asarray(X))
        except ValueError:  # ragged input: let check_faces word the error
            arr = X
        if np.issubdtype(getattr(arr, "dtype", np.dtype(object)), np.complexfloating):
            raise ValueError(f"Complex data not supported: {name} takes real intensities.")
        shape = tuple(getattr(arr, "shape", ()))
        if len(shape) == 1:
            raise ValueError(
                f"X must be 2-D, faces (n, {_pixels(h, w)}), or a stack {_stack(h, w)}; got a "
                f"1-D array of shape {shape}. Reshape your data with X.reshape(1, -1) if it "
                "holds one face."
            )
        if len(shape) == 2 and shape[1] == 0:
            raise ValueError(
                f"X has 0 feature(s) (shape={shape}) while a minimum of {max(h * w, 1)} is "
                f"required: faces (n, {_pixels(h, w)}) or a stack {_stack(h, w)}."
            )
        if reset:
            h, w = resolve_image_shape((h, w), shape, name)
        if h < 0 or w < 0:  # a stack of another height or width, or not 2-D or 3-D
            raise ValueError(
                f"X must have shape {_stack(h, w)} or (n, {_pixels(h, w)}) (grayscale faces, "
                f"image_shape={(h, w)}); got shape {shape}."
            )
        if len(shape) == 2 and shape[1] != h * w:
            raise ValueError(
                f"X has {shape[1]} features, but {name} is expecting {h * w} features as "
                f"input: rows of {h * w} pixels or faces of shape (n, {h}, {w}) "
                f"(image_shape={(h, w)}); got shape {shape}."
            )
        faces = check_face_values(arr, image_shape=(h, w), any_floats=self._any_floats())
        if reset:
            self.image_shape_ = (h, w)
            self.n_features_in_ = h * w
        return faces


class PixelTransformer(FaceTransformer):
    """Base of the stateless transformers that give one value per pixel.

    ``fit`` only checks the parameters and the faces; the outputs are named
    ``pixel_{row}_{col}``. Floats of any finite value are faces, read on
    their own scale (:meth:`FaceTransformer._any_floats`): :class:`Pixels
    <fer_classic.features.Pixels>`, :class:`HistogramEqualization
    <fer_classic.features.HistogramEqualization>` and :class:`ContrastJitter
    <fer_classic.features.ContrastJitter>`.
    """

    def _any_floats(self):
        # Pixels keeps floats on their own scale; equalisation reads the
        # order of the levels; the jitter clips to 0..255
        return True

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and the faces; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``: uint8 in 0..255, or floats
            (intensities in [0, 1], or of any finite value: see the class's
            Notes).
        y : ignored

        Returns
        -------
        self : object
        """
        self._check_faces(X, reset=True)
        return self

    def get_feature_names_out(self, input_features=None):
        """Names ``pixel_{row}_{col}`` of the output values."""
        check_is_fitted(self, "n_features_in_")
        return pixel_feature_names(self.image_shape_)


class FaceStackEstimator(TransformerMixin, BaseEstimator):
    """Base of the estimators over stacks of faces whose size ``fit`` fixes.

    :class:`~fer_classic.features.DenseSIFT`,
    :class:`~fer_classic.features.BagOfVisualWords` and
    :class:`~fer_classic.features.FisherVector` read faces with
    :func:`check_face_stack` (a 3-D stack of any size, or rows of 48x48
    faces) through :meth:`_check_stack`; ``fit`` records the size in
    ``image_shape_`` and ``n_features_in_``, and the other methods then
    take faces of that size only.
    """

    def _check_stack(self, X, *, reset, any_floats=True):
        """``X`` validated by :func:`check_face_stack`, the values as given.

        ``reset=True`` (in ``fit``) sets ``image_shape_`` and
        ``n_features_in_`` from ``X``; otherwise ``X`` must hold faces of
        ``image_shape_``.
        """
        if reset:
            faces = check_face_stack(X, name="X", dtype=None, any_floats=any_floats)
            self.image_shape_ = tuple(int(s) for s in faces.shape[1:])
            self.n_features_in_ = self.image_shape_[0] * self.image_shape_[1]
            return faces
        return check_face_stack(X, name="X", image_shape=self.image_shape_, dtype=None,
                                any_floats=any_floats)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = True
        tags.input_tags.three_d_array = True
        tags.requires_fit = True
        tags.transformer_tags.preserves_dtype = []  # float32 output, whatever the input
        return tags


def _stack(h, w):
    return f"(n, {'h' if h < 0 else h}, {'w' if w < 0 else w})"


def _pixels(h, w):
    return h * w if h > 0 and w > 0 else f"k * {max(h, w)}"
