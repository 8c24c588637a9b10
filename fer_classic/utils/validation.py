"""Validation of face stacks handed to fer_classic transformers."""

import numbers

import numpy as np

from .. import FACE_SIZE


def check_faces(X, *, image_shape=(FACE_SIZE, FACE_SIZE), dtype=np.float32, name="X"):
    """Validate a stack of grayscale faces and return it as ``(n, h, w)``.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Grayscale faces, one per row. Flattened rows are reshaped to
        ``image_shape``.
    image_shape : tuple of int, default=(48, 48)
        Expected ``(height, width)`` of each face.
    dtype : numpy dtype or None, default=np.float32
        Output dtype; ``None`` keeps the input dtype.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    faces : ndarray of shape (n, h, w)

    Raises
    ------
    ValueError
        If the array is empty, has the wrong shape, or holds NaN or infinity.
    TypeError
        If the values are not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> check_faces(np.zeros((2, 2304))).shape
    (2, 48, 48)
    """
    h, w = image_shape
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array of faces: {exc}") from None
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or arr.dtype == bool
    ):
        raise TypeError(
            f"{name} must hold numbers (grayscale pixel values); got dtype {arr.dtype}."
        )
    if arr.ndim == 2 and arr.shape[1] == h * w:
        arr = arr.reshape(-1, h, w)
    elif arr.ndim != 3 or arr.shape[1:] != (h, w):
        raise ValueError(
            f"{name} must have shape (n, {h}, {w}) or (n, {h * w}) "
            f"(grayscale {h}x{w} faces); got shape {arr.shape}."
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} holds no faces (shape {arr.shape}); need at least 1.")
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).reshape(len(arr), -1).all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or infinity (first in face {bad}).")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


def check_positive_int(value, name, *, minimum=1):
    """Return ``value`` if it is an integer >= ``minimum``, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)
