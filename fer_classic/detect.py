"""Face detection: find frontal faces in a grayscale image and crop them to 48x48.

The one concept here is going from a photograph's grayscale pixels to
FER2013-shaped faces:

1. :func:`detect_faces` finds frontal faces with the Viola-Jones Haar
   cascade that OpenCV 4.x ships (:data:`HAAR_CASCADE`, loaded once by
   :func:`load_cascade`), on a histogram-equalised copy downscaled to at
   most ``max_side`` pixels, and returns their boxes in
   :func:`reading_order`;
2. :func:`crop_faces` cuts a square around each face, enlarged by
   ``margin`` of its size on every side (``0.1`` matches how much of the head
   FER2013 faces show), padding with edge pixels at the image border, and
   resizes it to 48x48 (area interpolation); :func:`resize_whole` does the
   same for an image that is already one cropped face.

:func:`check_detect_params` validates the detector's settings, for callers
that take them ahead of the first image (:class:`fer_classic.faces.ExpressionPredictor`).
Images are read and converted to gray by :mod:`fer_classic.images`.

Examples
--------
>>> from skimage.data import astronaut
>>> from fer_classic.images import to_grayscale
>>> gray = to_grayscale(astronaut())
>>> boxes = detect_faces(gray)
>>> boxes.tolist(), crop_faces(gray, boxes).shape
([[177, 67, 93, 93]], (1, 48, 48))
"""

import functools
import os

import cv2
import numpy as np

from . import FACE_SIZE
from .utils.validation import check_number

__all__ = [
    "HAAR_CASCADE",
    "load_cascade",
    "check_detect_params",
    "detect_faces",
    "reading_order",
    "crop_faces",
    "resize_whole",
]

#: The frontal-face cascade shipped in ``cv2.data.haarcascades`` (OpenCV 4.x).
HAAR_CASCADE = "haarcascade_frontalface_default.xml"


@functools.lru_cache(maxsize=4)
def load_cascade(path=None):
    """The OpenCV Haar cascade at ``path`` (default: :data:`HAAR_CASCADE`), loaded once.

    Parameters
    ----------
    path : str, optional
        A cascade file; ``None``: :data:`HAAR_CASCADE` from
        ``cv2.data.haarcascades``.

    Returns
    -------
    cascade : cv2.CascadeClassifier
        The same object on every call with the same ``path``.

    Raises
    ------
    FileNotFoundError
        If the cascade file is missing or cannot be parsed.

    Examples
    --------
    >>> load_cascade() is load_cascade()
    True
    """
    if path is None:
        base = getattr(getattr(cv2, "data", None), "haarcascades", None)
        if base is None:
            raise FileNotFoundError(
                "OpenCV's bundled Haar cascades (cv2.data.haarcascades) are missing: install "
                "opencv-python-headless 4.x (OpenCV 5 wheels drop them) or pass cascade_path.")
        path = os.path.join(base, HAAR_CASCADE)
    cascade = cv2.CascadeClassifier(os.fspath(path)) if os.path.isfile(path) else None
    if cascade is None or cascade.empty():
        raise FileNotFoundError(f"{path}: not a readable OpenCV cascade file.")
    return cascade


def check_detect_params(scale_factor, min_neighbors, min_size, max_side):
    """Validate the settings of :func:`detect_faces`; raise ValueError naming the bad one.

    Parameters
    ----------
    scale_factor : float
        Must be > 1.
    min_neighbors : int
        Must be >= 0.
    min_size : int
        Must be >= 1 (``min_face_size`` of
        :class:`~fer_classic.faces.ExpressionPredictor`).
    max_side : int or None
        ``None``, or >= 24.

    Raises
    ------
    ValueError
        With the parameter's name, the allowed range and the value given.

    Examples
    --------
    >>> check_detect_params(1.1, 5, 30, None)
    >>> check_detect_params(1.0, 5, 30, None)
    Traceback (most recent call last):
    ...
    ValueError: scale_factor must be a number > 1.0; got 1.0.
    """
    check_number(scale_factor, "scale_factor", 1.0, low_open=True)
    check_number(min_neighbors, "min_neighbors", 0, integer=True)
    check_number(min_size, "min_size (min_face_size)", 1, integer=True)
    if max_side is not None:
        check_number(max_side, "max_side", 24, integer=True)


def detect_faces(gray, *, scale_factor=1.1, min_neighbors=5, min_size=30, max_side=1024,
                 cascade_path=None):
    """Frontal faces in a grayscale image, with OpenCV's Haar cascade.

    Parameters
    ----------
    gray : ndarray of shape (h, w), dtype uint8
        See :func:`~fer_classic.images.to_grayscale`.
    scale_factor : float, default=1.1
        Image pyramid step of the detector (> 1; larger is faster, coarser).
    min_neighbors : int, default=5
        Overlapping detections needed to keep a face (more: fewer false faces).
    min_size : int, default=30
        Smallest face side, in pixels of ``gray``.
    max_side : int or None, default=1024
        Detect on a copy downscaled so its longer side is at most this (faster
        on large photos); boxes are given in ``gray``'s pixels. ``None``: never.
    cascade_path : str, optional
        Another cascade file (default :data:`HAAR_CASCADE`).

    Returns
    -------
    boxes : ndarray of shape (n_faces, 4), dtype int64
        ``(x, y, width, height)`` of each face, in reading order
        (:func:`reading_order`).

    Examples
    --------
    >>> from skimage.data import astronaut
    >>> from fer_classic.images import to_grayscale
    >>> detect_faces(to_grayscale(astronaut())).tolist()
    [[177, 67, 93, 93]]
    """
    gray = np.asarray(gray)
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("detect_faces() needs a 2-D uint8 grayscale image (see to_grayscale); "
                         f"got shape {gray.shape}, dtype {gray.dtype}.")
    check_detect_params(scale_factor, min_neighbors, min_size, max_side)
    cascade = load_cascade(None if cascade_path is None else os.fspath(cascade_path))
    h, w = gray.shape
    scale = 1.0 if max_side is None else min(1.0, max_side / max(h, w))
    small = gray
    if scale < 1.0:
        small = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
    small = cv2.equalizeHist(np.ascontiguousarray(small))
    side = max(1, int(round(min_size * scale)))
    found = cascade.detectMultiScale(small, scaleFactor=float(scale_factor),
                                     minNeighbors=int(min_neighbors), minSize=(side, side))
    boxes = np.asarray(found, dtype=np.float64).reshape(-1, 4)
    boxes = np.round(boxes / scale).astype(np.int64)
    return reading_order(boxes)


def reading_order(boxes):
    """Boxes sorted as text is read: rows top to bottom, each row left to right.

    Two faces are in one row when their vertical centres are closer than
    half the height of the row's first face, so a row photo whose faces
    sit a little higher or lower still reads left to right.

    Parameters
    ----------
    boxes : array-like of shape (n, 4)
        ``(x, y, width, height)``.

    Returns
    -------
    boxes : ndarray of shape (n, 4)

    Examples
    --------
    >>> reading_order([[100, 12, 20, 20], [10, 10, 20, 20], [50, 80, 20, 20]]).tolist()
    [[10, 10, 20, 20], [100, 12, 20, 20], [50, 80, 20, 20]]
    """
    boxes = np.asarray(boxes).reshape(-1, 4)
    centre_y = boxes[:, 1] + boxes[:, 3] / 2
    rows, start = [], None
    for i in np.lexsort((boxes[:, 0], centre_y)):
        if start is None or centre_y[i] - centre_y[start] >= boxes[start, 3] / 2:
            rows.append([])
            start = i
        rows[-1].append(i)
    order = [i for row in rows for i in sorted(row, key=lambda j: (boxes[j, 0], boxes[j, 1]))]
    return boxes[np.asarray(order, dtype=np.intp)]


def crop_faces(gray, boxes, *, margin=0.1, size=FACE_SIZE):
    """Square crops around face boxes, resized to ``size`` x ``size``.

    Each crop is centred on its box, with side ``max(width, height) * (1 + 2 *
    margin)``; parts outside the image are filled by repeating the border
    pixels.

    Parameters
    ----------
    gray : ndarray of shape (h, w), dtype uint8
    boxes : array-like of shape (n_faces, 4)
        ``(x, y, width, height)``, as from :func:`detect_faces`.
    margin : float, default=0.1
        Extra context on each side, as a fraction of the box side.
    size : int, default=48
        Output side (FER2013: 48).

    Returns
    -------
    faces : ndarray of shape (n_faces, size, size), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> crop_faces(np.zeros((100, 80), np.uint8), [[60, 70, 40, 40]]).shape
    (1, 48, 48)
    """
    gray = np.asarray(gray)
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError(f"crop_faces() needs a 2-D uint8 grayscale image; got shape "
                         f"{gray.shape}, dtype {gray.dtype}.")
    check_number(margin, "margin", 0.0, 10.0)
    size = int(check_number(size, "size", 1, integer=True))
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) if len(boxes) else \
        np.zeros((0, 4))
    if (boxes[:, 2:] <= 0).any():
        raise ValueError("boxes must have positive width and height.")
    h, w = gray.shape
    out = np.empty((len(boxes), size, size), dtype=np.uint8)
    for i, (x, y, bw, bh) in enumerate(boxes):
        side = max(bw, bh) * (1 + 2 * margin)
        x0 = int(round(x + bw / 2 - side / 2))
        y0 = int(round(y + bh / 2 - side / 2))
        s = max(1, int(round(side)))
        x1, y1 = x0 + s, y0 + s
        patch = gray[max(y0, 0):min(y1, h), max(x0, 0):min(x1, w)]
        if patch.size == 0:  # box entirely outside the image
            patch = gray[min(max(y0, 0), h - 1):, min(max(x0, 0), w - 1):][:1, :1]
        pads = (max(0, -y0), max(0, y1 - h), max(0, -x0), max(0, x1 - w))
        if any(pads):
            patch = cv2.copyMakeBorder(patch, *pads, cv2.BORDER_REPLICATE)
        out[i] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return out


def resize_whole(gray, size=FACE_SIZE):
    """The whole image resized to ``size`` x ``size`` (for already cropped faces).

    Parameters
    ----------
    gray : ndarray of shape (h, w), dtype uint8
    size : int, default=48
        Output side (FER2013: 48).

    Returns
    -------
    face : ndarray of shape (1, size, size), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> resize_whole(np.zeros((100, 80), np.uint8)).shape
    (1, 48, 48)
    """
    gray = np.asarray(gray)
    if gray.shape == (size, size):
        return gray[None].copy()
    interp = cv2.INTER_AREA if min(gray.shape) >= size else cv2.INTER_LINEAR
    return cv2.resize(gray, (size, size), interpolation=interp)[None]
