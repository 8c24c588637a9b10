"""Validation of inputs: face stacks handed to fer_classic transformers, and numeric settings."""

import numbers

import numpy as np

from .. import FACE_SIZE


#: Floats this far outside [0, 1] (resampling overshoot) are clipped, not refused.
FLOAT_TOLERANCE = 1e-6


def check_faces(X, *, image_shape=(FACE_SIZE, FACE_SIZE), dtype=np.float32, name="X",
                intensities=True):
    """Validate a stack of grayscale faces and return it as ``(n, h, w)`` in 0..255.

    The input contract of the fer_classic transformers, scikit-image's:
    integer faces (``uint8``) hold intensities in 0..255, floating-point
    faces hold intensities in [0, 1] and are multiplied by 255 here. So
    ``faces`` and ``faces / 255`` give the same features. Here, with
    ``intensities=True``, values outside those ranges are an error rather
    than a silent change of scale. The face transformers relax this for
    floats: every one of :mod:`fer_classic.features` but dense SIFT with a
    ``contrast_threshold`` (and the encoders over such an extractor) accepts
    floats of any finite value and reads them by the same rule, times 255
    (:func:`fer_classic.features._face.check_face_values` and
    ``scale_intensities``); integers outside 0..255 stay an error.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Grayscale faces, one per row. Flattened rows are reshaped to
        ``image_shape``.
    image_shape : tuple of int, default=(48, 48)
        Expected ``(height, width)`` of each face.
    dtype : numpy dtype or None, default=np.float32
        Output dtype, for intensities on the 0..255 scale (float input times
        255). ``None`` returns the validated array as it is, in its own dtype
        and scale, so that validating twice is the same as validating once
        (a transformer that hands its input to another); then
        :func:`intensities_255` scales it where the values are used.
    name : str, default="X"
        Name used in error messages.
    intensities : bool, default=True
        Whether the values are intensities, checked and scaled as above;
        False checks only the shape and finiteness (maps of codes).

    Returns
    -------
    faces : ndarray of shape (n, h, w)
        Intensities in 0..255 (with ``dtype=None``, as given).

    Raises
    ------
    ValueError
        If the array is empty, has the wrong shape, holds NaN or infinity,
        or, with ``intensities``, values outside 0..255 (integers) or
        [0, 1] (floats).
    TypeError
        If the values are not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> check_faces(np.zeros((2, 2304))).shape
    (2, 48, 48)
    >>> float(check_faces(np.full((1, 48, 48), 0.5)).max())
    127.5
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
    if not intensities:
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinity.")
    elif np.issubdtype(arr.dtype, np.floating):
        _check_float_range(arr, name)
    elif arr.dtype != np.uint8 and arr.dtype != bool:
        lo, hi = arr.min(), arr.max()
        if lo < 0 or hi > 255:
            raise ValueError(f"{name} holds integers in [{lo}, {hi}]; integer faces must hold "
                             "8-bit grayscale intensities in 0..255 (uint8).")
    if dtype is not None and intensities:
        return intensities_255(arr).astype(dtype, copy=False)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    return arr


def _check_float_range(arr, name):
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).reshape(len(arr), -1).all(axis=1))[0])
        raise ValueError(f"{name} contains NaN or infinity (first in face {bad}).")
    lo, hi = float(arr.min()), float(arr.max())
    if lo < -FLOAT_TOLERANCE or hi > 1 + FLOAT_TOLERANCE:
        hint = (" They look like 0..255 intensities: pass them as uint8, or divide by 255."
                if lo >= 0 and hi <= 255 else "")
        raise ValueError(f"{name} holds floats in [{lo:g}, {hi:g}]; floating-point faces must "
                         f"hold intensities in [0, 1] (scikit-image's convention).{hint}")


def intensities_255(faces):
    """Faces validated by :func:`check_faces` on the 0..255 scale.

    Integer faces are returned as they are; float faces (intensities in
    [0, 1]) are multiplied by 255 in their own dtype and clipped to [0, 255].

    Examples
    --------
    >>> import numpy as np
    >>> intensities_255(np.array([[[0.5]]], dtype=np.float32))
    array([[[127.5]]], dtype=float32)
    """
    if not np.issubdtype(faces.dtype, np.floating):
        return faces
    out = faces * faces.dtype.type(255)
    return np.clip(out, 0, 255, out=out)


def check_positive_int(value, name, *, minimum=1):
    """Return ``value`` if it is an integer >= ``minimum``, else raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def check_number(value, name, low, high=np.inf, *, integer=False, low_open=False):
    """Return ``value`` if it is a finite number in range, else raise ValueError naming it.

    Parameters
    ----------
    value : object
        The value to check; ``bool`` is refused.
    name : str
        Its name in the error message.
    low, high : float
        Allowed range, ``low <= value <= high`` (``high`` unbounded by default).
    integer : bool, default=False
        Require an integer (``numbers.Integral``) rather than any real number.
    low_open : bool, default=False
        Require ``value > low``.

    Returns
    -------
    value : int or float
        ``value`` itself, unchanged.

    Examples
    --------
    >>> check_number(0.1, "margin", 0.0, 10.0)
    0.1
    >>> check_number(0, "min_size", 1, integer=True)
    Traceback (most recent call last):
    ...
    ValueError: min_size must be an integer >= 1; got 0.
    """
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(value) \
            or value < low or value > high or (low_open and value == low):
        bound = f"> {low}" if low_open else f">= {low}"
        if high != np.inf:
            bound += f" and <= {high}"
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} {bound}; "
                         f"got {value!r}.")
    return value
