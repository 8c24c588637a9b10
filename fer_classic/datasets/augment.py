"""Training-set augmentation for faces.

Facial expressions are close to left-right symmetric, so a mirrored face
keeps its label: mirroring the Training faces doubles the data a classifier
learns from at the cost of one more feature extraction. Small random shifts,
rotations and changes of scale (:func:`jitter_faces`) keep the label too, and
so do changes of gamma, contrast and brightness (:func:`jitter_contrast`):
training on such copies teaches a classifier the pixels other cameras and
other copies of FER2013 give.
"""

import cv2
import numpy as np
from sklearn.utils import check_random_state

from .. import FACE_SIZE
from ..utils.validation import check_number

__all__ = ["mirror_faces", "jitter_faces", "jitter_contrast"]


def _as_images(X, image_shape):
    """``(X as (n, h, w), whether it came flattened)``, or a clear error."""
    X = np.asarray(X)
    if X.ndim == 3:
        return X, False
    h, w = image_shape
    if X.ndim != 2 or X.shape[1] != h * w:
        raise ValueError(f"faces must be an array of shape (n, {h}, {w}) or (n, {h * w}); "
                         f"got shape {X.shape}.")
    return X.reshape(len(X), h, w), True


def mirror_faces(X, image_shape=(FACE_SIZE, FACE_SIZE)):
    """Left-right mirrored copies of faces.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Faces, as images or flattened row-major.
    image_shape : tuple of int, default=(48, 48)
        ``(h, w)`` of flattened faces.

    Returns
    -------
    mirrored : ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> mirror_faces(np.arange(6).reshape(1, 2, 3))
    array([[[2, 1, 0],
            [5, 4, 3]]])
    """
    images, flat = _as_images(X, image_shape)
    out = np.ascontiguousarray(images[:, :, ::-1])
    return out.reshape(len(out), -1) if flat else out


def jitter_faces(X, *, max_shift=2.0, max_rotation=8.0, max_scale=0.08, random_state=None,
                 image_shape=(FACE_SIZE, FACE_SIZE)):
    """Randomly shifted, rotated and rescaled copies of faces.

    Each face is warped by its own similarity transform about the image
    centre: a rotation drawn uniformly in ``[-max_rotation, max_rotation]``
    degrees, a scale in ``[1 - max_scale, 1 + max_scale]`` and a shift in
    ``[-max_shift, max_shift]`` pixels along each axis, with bilinear
    interpolation and the border pixels repeated outwards. The draws are made
    for all faces at once, in order, so face ``i``'s transform depends only on
    ``random_state`` and ``i``.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Faces, as images or flattened row-major; uint8 or floating point.
    max_shift : float, default=2.0
        Largest shift along each axis, in pixels.
    max_rotation : float, default=8.0
        Largest rotation, in degrees.
    max_scale : float, default=0.08
        Largest relative change of scale; must be below 1.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.
    image_shape : tuple of int, default=(48, 48)
        ``(h, w)`` of flattened faces.

    Returns
    -------
    jittered : ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    >>> out = jitter_faces(faces, random_state=0)
    >>> out.shape, out.dtype
    ((3, 48, 48), dtype('uint8'))
    >>> same = jitter_faces(faces, max_shift=0, max_rotation=0, max_scale=0, random_state=0)
    >>> bool((same == faces).all())
    True
    """
    check_number(max_shift, "max_shift", 0.0)
    check_number(max_rotation, "max_rotation", 0.0)
    check_number(max_scale, "max_scale", 0.0)
    if max_scale >= 1:
        raise ValueError(f"max_scale must be below 1 (a scale of 1 - max_scale > 0); "
                         f"got {max_scale!r}.")
    images, flat = _as_images(X, image_shape)
    n, h, w = images.shape
    if images.dtype not in (np.uint8, np.float32, np.float64):
        raise ValueError(f"faces must be uint8, float32 or float64; got {images.dtype}.")
    draws = check_random_state(random_state).uniform(-1.0, 1.0, size=(n, 4))
    centre = ((w - 1) / 2.0, (h - 1) / 2.0)
    out = np.empty_like(images)
    for i, (rotation, scale, dx, dy) in enumerate(draws):
        M = cv2.getRotationMatrix2D(centre, max_rotation * rotation, 1.0 + max_scale * scale)
        M[:, 2] += (max_shift * dx, max_shift * dy)
        out[i] = cv2.warpAffine(np.ascontiguousarray(images[i]), M, (w, h),
                                flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out.reshape(n, -1) if flat else out


def jitter_contrast(X, *, max_gamma=2.0, min_contrast=0.5, max_offset=40.0, random_state=None):
    """Copies of faces with random gamma, contrast and brightness, clipped to 0..255.

    Each face gets its own increasing map of the grey levels ``v``:
    ``c * 255 * (v / 255) ** g + (1 - c) * 127.5 + o``, clipped to 0..255
    (and rounded, for uint8 faces), with the gamma ``g`` drawn log-uniformly in
    ``[1 / max_gamma, max_gamma]``, the contrast ``c`` uniformly in
    ``[min_contrast, 1]`` (the range shrinks about mid-grey) and the offset
    ``o`` uniformly in ``[-max_offset, max_offset]`` grey levels. Offsets that
    push levels past 0 or 255 merge them, as an over- or under-exposed photo
    does. The draws are made for all faces at once, in order.

    Parameters
    ----------
    X : array-like of shape (n, h, w) or (n, h * w)
        Faces: uint8, or floats on the same 0..255 scale (levels outside it
        are clipped to it before the map).
    max_gamma : float, default=2.0
        At least 1.
    min_contrast : float, default=0.5
        In (0, 1].
    max_offset : float, default=40.0
        At least 0, in grey levels.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws.

    Returns
    -------
    jittered : ndarray of the shape and dtype of ``X``

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.tile(np.arange(0, 256, 16, dtype=np.uint8), (2, 16, 1))
    >>> out = jitter_contrast(faces, random_state=0)
    >>> out.shape, out.dtype
    ((2, 16, 16), dtype('uint8'))
    >>> bool((np.diff(out.astype(int), axis=2) >= 0).all())  # the order of grey levels is kept
    True
    >>> floats = jitter_contrast(faces.astype(np.float32), random_state=0)
    >>> bool((np.rint(floats) == out).all())  # floats: the same maps, not rounded
    True
    """
    check_number(max_gamma, "max_gamma", 1.0)
    check_number(min_contrast, "min_contrast", 0.0, 1.0, low_open=True)
    check_number(max_offset, "max_offset", 0.0)
    X = np.asarray(X)
    if X.ndim not in (2, 3) or not (X.dtype == np.uint8 or np.issubdtype(X.dtype, np.floating)):
        raise ValueError(f"faces must be uint8 or float images (n, h, w) or rows (n, h * w); "
                         f"got {X.dtype} of shape {X.shape}.")
    draws = check_random_state(random_state).uniform(0.0, 1.0, size=(len(X), 3))
    gamma = np.exp(np.log(max_gamma) * (2 * draws[:, 0] - 1))
    contrast = min_contrast + (1 - min_contrast) * draws[:, 1]
    offset = max_offset * (2 * draws[:, 2] - 1)

    def level_map(i, v):
        return np.clip(contrast[i] * 255 * (v / 255.0) ** gamma[i]
                       + (1 - contrast[i]) * 127.5 + offset[i], 0, 255)

    levels = np.arange(256)
    out = np.empty_like(X)
    for i in range(len(X)):
        if X.dtype == np.uint8:
            out[i] = np.rint(level_map(i, levels)).astype(np.uint8)[X[i]]
        else:
            out[i] = level_map(i, np.clip(X[i].astype(np.float64), 0, 255))
    return out
