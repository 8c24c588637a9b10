"""Faces in photographs: find them, crop them to FER2013's format, label them.

FER2013 models take 48x48 8-bit grayscale faces that fill the frame. This
module turns an ordinary photograph (any size, colour or gray, any format
OpenCV reads) into such faces and runs a fitted model on them:

1. :func:`read_image` decodes a file (EXIF orientation applied) and
   :func:`to_grayscale` converts any image array to 8-bit gray;
2. :func:`detect_faces` finds frontal faces with the Viola-Jones Haar
   cascade that OpenCV 4.x ships (``haarcascade_frontalface_default.xml``),
   on a histogram-equalised copy downscaled to at most ``max_side`` pixels;
3. :func:`crop_faces` cuts a square around each face, enlarged by
   ``margin`` of its size on every side (``0.1`` matches how much of the head
   FER2013 faces show), padding with edge pixels at the image border, and
   resizes it to 48x48 (area interpolation);
4. :class:`ExpressionPredictor` classifies the crops and returns one
   :class:`FacePrediction` row per face; ``python -m fer_classic.predict``
   is its command line.

Scores
------
Each row has a score per class, summing to 1: the softmax of the
classifier's ``decision_function`` when it has one, otherwise its
``predict_proba`` (random forests), the rule of
:func:`~fer_classic.utils.scores.classifier_scores` that mirror averaging
follows too. Softmax scores rank the classes as the model does but are not
calibrated probabilities (for a logistic regression they are its
``predict_proba``). The label is always the model's own ``predict``.

Examples
--------
>>> from skimage.data import astronaut
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import StandardScaler
>>> from fer_classic.datasets import make_synthetic_faces
>>> from fer_classic.features import HOG
>>> from fer_classic.models.linear import LinearSVM
>>> X, y = make_synthetic_faces(n_per_class=10).get_split("Training")
>>> model = make_pipeline(HOG(), StandardScaler(), LinearSVM()).fit(X, y)
>>> rows = ExpressionPredictor(model).predict_image(astronaut())
>>> len(rows), rows[0].box
(1, (177, 67, 93, 93))
>>> round(sum(rows[0].scores.values()), 6)
1.0
"""

import functools
import numbers
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from sklearn.pipeline import Pipeline

from . import FACE_SIZE
from .persist import label_names_for, load_model, score_method_of
from .utils.images import decode_image_bytes
from .utils.scores import classifier_scores
from .utils.validation import check_faces

__all__ = [
    "HAAR_CASCADE",
    "IMAGE_EXTENSIONS",
    "ImageReadError",
    "read_image",
    "to_grayscale",
    "load_cascade",
    "detect_faces",
    "reading_order",
    "crop_faces",
    "resize_whole",
    "softmax",
    "FacePrediction",
    "ExpressionPredictor",
    "iter_image_files",
    "draw_predictions",
]

#: The frontal-face cascade shipped in ``cv2.data.haarcascades`` (OpenCV 4.x).
HAAR_CASCADE = "haarcascade_frontalface_default.xml"

#: File name endings picked up when a directory is given.
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".png", ".bmp", ".dib", ".tif", ".tiff",
                    ".webp", ".pgm", ".ppm", ".pbm", ".pnm", ".gif", ".jp2", ".avif")


class ImageReadError(OSError):
    """An image file is missing, unreadable or not an image; the message names it."""


# --------------------------------------------------------------------------
# images
# --------------------------------------------------------------------------


def read_image(path):
    """Decode an image file into an 8-bit BGR array (OpenCV's channel order).

    Any format OpenCV decodes (JPEG, PNG, BMP, TIFF, WebP, PNM, ...), any
    size, colour or gray, 8 or 16 bits; EXIF orientation is applied, alpha
    dropped.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    image : ndarray of shape (height, width, 3), dtype uint8, BGR
        Pass ``channels="bgr"`` when handing it to :func:`to_grayscale` or
        :meth:`ExpressionPredictor.predict_image`.

    Raises
    ------
    ImageReadError
        With the file name: missing, a directory, unreadable, empty, or not
        a decodable image.
    """
    name = os.fspath(path)
    if os.path.isdir(name):
        raise ImageReadError(f"{name}: is a directory, not an image file.")
    try:
        buf = np.fromfile(name, dtype=np.uint8)
    except FileNotFoundError:
        raise ImageReadError(f"{name}: no such file.") from None
    except OSError as exc:
        raise ImageReadError(f"{name}: cannot read the file ({exc.strerror or exc}).") from None
    image = decode_image_bytes(buf, cv2.IMREAD_COLOR)
    if image is None:
        what = "empty file" if buf.size == 0 else f"{buf.size} bytes"
        raise ImageReadError(f"{name}: not an image or an unsupported/corrupt format ({what}).")
    return image


def to_grayscale(image, *, channels="rgb"):
    """Convert an image array to 8-bit grayscale.

    Parameters
    ----------
    image : array-like of shape (h, w), (h, w, 1), (h, w, 3) or (h, w, 4)
        uint8 (0..255); other integers holding 0..255; uint16 (0..65535);
        bool; or floats in 0..1 (scikit-image's convention) or 0..255.
        An alpha channel is ignored.
    channels : {"rgb", "bgr"}, default="rgb"
        Channel order of colour images: ``"rgb"`` for scikit-image, PIL and
        matplotlib arrays, ``"bgr"`` for OpenCV's.

    Returns
    -------
    gray : ndarray of shape (h, w), dtype uint8

    Examples
    --------
    >>> import numpy as np
    >>> to_grayscale(np.full((2, 3, 3), 1.0)).tolist()
    [[255, 255, 255], [255, 255, 255]]
    """
    if channels not in ("rgb", "bgr"):
        raise ValueError(f"channels must be 'rgb' or 'bgr'; got {channels!r}.")
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"image must hold numbers; got dtype {arr.dtype}.")
    if arr.ndim == 3 and arr.shape[2] in (1, 2):  # gray, gray + alpha
        arr = arr[:, :, 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))):
        raise ValueError("image must have shape (height, width) or (height, width, 1|3|4 "
                         f"channels); got {arr.shape}.")
    if arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"image is empty (shape {arr.shape}).")
    arr = _to_uint8(arr)
    if arr.ndim == 3:
        code = cv2.COLOR_RGB2GRAY if channels == "rgb" else cv2.COLOR_BGR2GRAY
        arr = cv2.cvtColor(np.ascontiguousarray(arr[:, :, :3]), code)
    return np.ascontiguousarray(arr)


def _to_uint8(arr):
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
        raise ValueError("image contains NaN or infinity.")
    lo, hi = float(arr.min()), float(arr.max())
    if np.issubdtype(arr.dtype, np.floating):
        if lo >= 0 and hi <= 1:
            return np.round(arr * 255).astype(np.uint8)
        if lo >= 0 and hi <= 255:
            return np.round(arr).astype(np.uint8)
    elif lo >= 0 and hi <= 255:
        return arr.astype(np.uint8)
    elif arr.dtype == np.uint16:
        return np.round(arr / 257.0).astype(np.uint8)
    raise ValueError(f"image values must be in 0..1 (floats) or 0..255 (8-bit) or 0..65535 "
                     f"(uint16); got dtype {arr.dtype} with values {lo:g}..{hi:g}.")


# --------------------------------------------------------------------------
# detection and cropping
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def load_cascade(path=None):
    """The OpenCV Haar cascade at ``path`` (default: :data:`HAAR_CASCADE`), loaded once.

    Raises
    ------
    FileNotFoundError
        If the cascade file is missing or cannot be parsed.
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


def _check_number(value, name, low, high=np.inf, *, integer=False, low_open=False):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not np.isfinite(value) \
            or value < low or value > high or (low_open and value == low):
        bound = f"> {low}" if low_open else f">= {low}"
        if high != np.inf:
            bound += f" and <= {high}"
        raise ValueError(f"{name} must be {'an integer' if integer else 'a number'} {bound}; "
                         f"got {value!r}.")
    return value


def _check_detect_params(scale_factor, min_neighbors, min_size, max_side):
    _check_number(scale_factor, "scale_factor", 1.0, low_open=True)
    _check_number(min_neighbors, "min_neighbors", 0, integer=True)
    _check_number(min_size, "min_size (min_face_size)", 1, integer=True)
    if max_side is not None:
        _check_number(max_side, "max_side", 24, integer=True)


def detect_faces(gray, *, scale_factor=1.1, min_neighbors=5, min_size=30, max_side=1024,
                 cascade_path=None):
    """Frontal faces in a grayscale image, with OpenCV's Haar cascade.

    Parameters
    ----------
    gray : ndarray of shape (h, w), dtype uint8
        See :func:`to_grayscale`.
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
    >>> detect_faces(to_grayscale(astronaut())).tolist()
    [[177, 67, 93, 93]]
    """
    gray = np.asarray(gray)
    if gray.ndim != 2 or gray.dtype != np.uint8:
        raise ValueError("detect_faces() needs a 2-D uint8 grayscale image (see to_grayscale); "
                         f"got shape {gray.shape}, dtype {gray.dtype}.")
    _check_detect_params(scale_factor, min_neighbors, min_size, max_side)
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
    _check_number(margin, "margin", 0.0, 10.0)
    size = int(_check_number(size, "size", 1, integer=True))
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

    Returns
    -------
    face : ndarray of shape (1, size, size), dtype uint8
    """
    gray = np.asarray(gray)
    if gray.shape == (size, size):
        return gray[None].copy()
    interp = cv2.INTER_AREA if min(gray.shape) >= size else cv2.INTER_LINEAR
    return cv2.resize(gray, (size, size), interpolation=interp)[None]


def softmax(scores):
    """Row-wise softmax, numerically stable; rows sum to 1.

    Examples
    --------
    >>> softmax([[0.0, 0.0]]).tolist()
    [[0.5, 0.5]]
    """
    from scipy.special import softmax as _softmax

    return _softmax(np.asarray(scores, dtype=np.float64), axis=1)


# --------------------------------------------------------------------------
# prediction
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class FacePrediction:
    """One row of output: a face found in an image, or a file without one.

    Attributes
    ----------
    file : str or None
        The image file (``None`` for arrays passed to ``predict_image``).
    box : tuple of 4 int or None
        ``(x, y, width, height)`` of the face in the image's pixels; with
        ``detect=False`` the whole image. ``None``: no face (see ``error``).
    label : str or None
        Predicted expression name (``"Happy"``, ...).
    label_id : int or None
        Predicted class (FER2013 id 0..6).
    scores : dict of str to float
        Score of every class of the model, in the model's class order;
        sums to 1 (see the module docstring for how it is computed).
    error : str or None
        Why the file gave no prediction (unreadable, not an image, ...).
        ``None`` with ``box=None`` means no face was found.
    """

    file: Optional[str]
    box: Optional[tuple]
    label: Optional[str]
    label_id: Optional[int]
    scores: dict = field(default_factory=dict)
    error: Optional[str] = None

    def to_dict(self):
        """JSON-ready dict (``box`` as ``{"x", "y", "width", "height"}``)."""
        box = None if self.box is None else dict(zip(("x", "y", "width", "height"),
                                                     (int(v) for v in self.box)))
        label_id = self.label_id
        if isinstance(label_id, np.generic):
            label_id = label_id.item()
        return {"file": self.file, "box": box, "label": self.label, "label_id": label_id,
                "scores": {k: float(v) for k, v in self.scores.items()}, "error": self.error}


class ExpressionPredictor:
    """Detect faces in photographs and classify their expressions.

    Parameters
    ----------
    model : fitted classifier or Pipeline, or str / path-like
        A model taking ``(n, 48, 48)`` uint8 faces (e.g. a bench pipeline), or
        the path of a file written by :func:`fer_classic.persist.save_model`
        (loaded with :func:`~fer_classic.persist.load_model`: only load
        files from trusted sources).
    detect : bool, default=True
        Find faces with the Haar cascade. ``False``: each image is one
        already-cropped face, resized whole to 48x48.
    margin : float, default=0.1
        Context around each detected face, as a fraction of its size.
    min_face_size : int, default=30
        Smallest face side in pixels.
    scale_factor, min_neighbors, max_side
        Passed to :func:`detect_faces`.
    strict : bool, default=False
        Refuse model files saved by other fer_classic/scikit-learn versions.

    Attributes
    ----------
    estimator : fitted estimator
    info : dict or None
        The model file's metadata (``None`` for in-memory models).
    label_names : list of str
        Name of each class, in the model's class order.
    score_method : str
        ``"softmax(decision_function)"``, ``"predict_proba"`` or ``"one-hot"``
        (:func:`~fer_classic.persist.score_method_of`).
    """

    def __init__(self, model, *, detect=True, margin=0.1, min_face_size=30, scale_factor=1.1,
                 min_neighbors=5, max_side=1024, strict=False):
        if isinstance(model, (str, os.PathLike)):
            self.estimator, self.info = load_model(model, strict=strict, return_info=True)
        else:
            if not hasattr(model, "predict") or getattr(model, "classes_", None) is None:
                raise TypeError("model must be a fitted classifier or pipeline (with predict "
                                f"and classes_) or a model file path; got "
                                f"{type(model).__name__}.")
            self.estimator, self.info = model, None
        self.detect = bool(detect)
        self.margin = float(_check_number(margin, "margin", 0.0, 10.0))
        self.detect_params = {
            "scale_factor": scale_factor, "min_neighbors": min_neighbors,
            "min_size": min_face_size, "max_side": max_side,
        }
        _check_detect_params(scale_factor, min_neighbors, min_face_size, max_side)
        if self.detect:
            load_cascade()  # fail now, not on the first image
        classes = np.asarray(self.estimator.classes_)
        self.classes_ = classes
        self.label_names = list(self.info["label_names"]) if self.info else \
            label_names_for(classes)
        self.score_method = score_method_of(self._classifier())

    def __repr__(self):
        name = (self.info or {}).get("name") or type(self.estimator).__name__
        return (f"ExpressionPredictor({name!r}, detect={self.detect}, margin={self.margin}, "
                f"scores={self.score_method!r})")

    def _classifier(self):
        est = self.estimator
        return est.steps[-1][1] if isinstance(est, Pipeline) else est

    def predict_faces(self, faces):
        """Classify 48x48 faces.

        Parameters
        ----------
        faces : array-like of shape (n, 48, 48) or (n, 2304)
            Grayscale faces as in FER2013 (uint8 0..255).

        Returns
        -------
        labels : ndarray of shape (n,)
            The model's ``predict``.
        scores : ndarray of shape (n, n_classes)
            Rows sum to 1 (:attr:`score_method`).
        """
        X = check_faces(faces, dtype=None, name="faces")
        est = self.estimator
        if isinstance(est, Pipeline) and len(est.steps) > 1:
            F, clf = est[:-1].transform(X), est.steps[-1][1]
        else:
            F, clf = X, self._classifier()
        labels = np.asarray(clf.predict(F))
        if self.score_method == "predict_proba":
            scores = classifier_scores(clf, F, method="predict_proba")
            scores /= scores.sum(axis=1, keepdims=True)  # float32 models: exactly 1 again
        elif self.score_method == "softmax(decision_function)":
            d = classifier_scores(clf, F, method="decision_function")
            if d.ndim == 1:  # binary: the score of classes_[1]
                d = np.column_stack([np.zeros_like(d), d])
            scores = softmax(d)
        else:
            scores = (labels[:, None] == self.classes_[None, :]).astype(np.float64)
        return labels, scores

    def _rows(self, file, boxes, faces):
        labels, scores = self.predict_faces(faces)
        index = {c: i for i, c in enumerate(self.classes_.tolist())}
        rows = []
        for box, label, score in zip(boxes, labels.tolist(), scores):
            rows.append(FacePrediction(
                file=file, box=tuple(int(v) for v in box),
                label=self.label_names[index[label]], label_id=label,
                scores={n: float(s) for n, s in zip(self.label_names, score)}))
        return rows

    def find_faces(self, gray):
        """Boxes and 48x48 crops of the faces in a grayscale image.

        Returns
        -------
        boxes : ndarray of shape (n_faces, 4)
        faces : ndarray of shape (n_faces, 48, 48), dtype uint8
        """
        if not self.detect:
            h, w = gray.shape
            return np.array([[0, 0, w, h]]), resize_whole(gray)
        boxes = detect_faces(gray, **self.detect_params)
        return boxes, crop_faces(gray, boxes, margin=self.margin)

    def predict_image(self, image, *, file=None, channels="rgb"):
        """Faces and expressions in one image.

        Parameters
        ----------
        image : array-like
            Any image array :func:`to_grayscale` accepts.
        file : str, optional
            Recorded in the rows.
        channels : {"rgb", "bgr"}, default="rgb"
            Channel order of a colour ``image`` (``"bgr"`` for OpenCV arrays).

        Returns
        -------
        rows : list of FacePrediction
            One per face, left to right; empty if no face was found.
        """
        gray = to_grayscale(image, channels=channels)
        boxes, faces = self.find_faces(gray)
        if len(boxes) == 0:
            return []
        return self._rows(file, boxes, faces)

    def predict_files(self, paths, *, recursive=False, annotate_dir=None):
        """Faces and expressions in image files and directories.

        A file that cannot be used does not stop the others: it gets a row
        with ``error`` set. A file without a face gets a row with
        ``box=None`` and ``error=None``.

        Parameters
        ----------
        paths : iterable of str or path-like
            Image files, and directories whose image files
            (:data:`IMAGE_EXTENSIONS`) are read in name order.
        recursive : bool, default=False
            Also read sub-directories.
        annotate_dir : str or path-like, optional
            Write a copy of each image with boxes and labels drawn into this
            directory (same file name; never over its source).

        Returns
        -------
        rows : list of FacePrediction
        """
        if isinstance(paths, (str, os.PathLike)):
            paths = [paths]
        written = set()
        rows = []
        for path, error in iter_image_files(paths, recursive=recursive):
            if error is not None:
                rows.append(FacePrediction(file=str(path), box=None, label=None,
                                           label_id=None, error=error))
                continue
            try:
                image = read_image(path)
            except ImageReadError as exc:
                rows.append(FacePrediction(file=str(path), box=None, label=None,
                                           label_id=None, error=str(exc)))
                continue
            found = self.predict_image(image, file=str(path), channels="bgr")
            rows.extend(found or [FacePrediction(file=str(path), box=None, label=None,
                                                 label_id=None)])
            if annotate_dir is not None:
                target = _annotation_path(Path(annotate_dir), Path(path), written)
                try:
                    _write_image(target, draw_predictions(image, found))
                    written.add(target)
                except (OSError, cv2.error) as exc:
                    rows.append(FacePrediction(
                        file=str(path), box=None, label=None, label_id=None,
                        error=f"{target}: could not write the annotated copy ({exc})."))
        return rows


# --------------------------------------------------------------------------
# files and drawing
# --------------------------------------------------------------------------


def iter_image_files(paths, *, recursive=False):
    """Expand files and directories into ``(path, error)`` pairs.

    Files are yielded as given (whatever their extension); directories
    yield their files with an :data:`IMAGE_EXTENSIONS` ending, sorted by
    name. ``error`` is a one-line message for a missing path or a directory
    without images, else ``None``.
    """
    for item in paths:
        path = Path(os.fspath(item))
        if path.is_dir():
            pattern = "**/*" if recursive else "*"
            files = sorted(p for p in path.glob(pattern)
                           if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
            if not files:
                yield path, (f"{path}: no image files ({', '.join(IMAGE_EXTENSIONS[:5])}, ...) "
                             "in this directory" + ("" if recursive else
                                                    " (use --recursive for sub-directories)")
                             + ".")
            for f in files:
                yield f, None
        elif path.exists():
            yield path, None
        else:
            yield path, f"{path}: no such file or directory."


def _annotation_path(directory, source, written):
    name = source.name
    target = directory / name
    stem, suffix = source.stem, source.suffix
    if not cv2.haveImageWriter(str(target)) or suffix.lower() == ".gif":
        suffix = ".png"
        target = directory / f"{stem}{suffix}"
    k = 1
    while target in written or (target.exists() and target.resolve() == source.resolve()):
        k += 1
        target = directory / f"{stem}-annotated{'' if k == 2 else k - 1}{suffix}"
    return target


def _write_image(path, image):
    path.parent.mkdir(parents=True, exist_ok=True)
    ok, buf = cv2.imencode(path.suffix or ".png", image)
    if not ok:
        raise OSError(f"OpenCV cannot encode {path.suffix} images")
    buf.tofile(str(path))


def draw_predictions(image, rows, *, color=(0, 200, 0)):
    """A copy of ``image`` with each row's box and ``label score`` drawn.

    Parameters
    ----------
    image : ndarray of shape (h, w) or (h, w, 3), dtype uint8
        BGR (as from :func:`read_image`) or gray.
    rows : list of FacePrediction
    color : tuple of 3 int, default=(0, 200, 0)
        BGR colour of boxes and text background.

    Returns
    -------
    annotated : ndarray of shape (h, w, 3), dtype uint8
    """
    out = np.asarray(image)
    out = cv2.cvtColor(out, cv2.COLOR_GRAY2BGR) if out.ndim == 2 else out[:, :, :3].copy()
    out = np.ascontiguousarray(out)
    h, w = out.shape[:2]
    thick = max(1, int(round(max(h, w) / 400)))
    font_scale = 0.45 * thick
    for row in rows:
        if row.box is None:
            continue
        x, y, bw, bh = row.box
        cv2.rectangle(out, (x, y), (x + bw - 1, y + bh - 1), color, thick)
        text = row.label if not row.scores else f"{row.label} {row.scores[row.label]:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thick)
        ty = y - base - thick if y - th - base - thick >= 0 else y + bh + th + thick
        cv2.rectangle(out, (x, ty - th - thick), (x + tw + thick, ty + base), color, cv2.FILLED)
        cv2.putText(out, text, (x + thick // 2, ty), cv2.FONT_HERSHEY_SIMPLEX, font_scale,
                    (255, 255, 255), thick, cv2.LINE_AA)
    return out
