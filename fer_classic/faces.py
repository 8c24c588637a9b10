"""The expression predictor: label the faces in photographs with a fitted model.

FER2013 models take 48x48 8-bit grayscale faces that fill the frame. The one
concept here is running such a model on ordinary photographs (any size,
colour or gray, any format OpenCV reads): :class:`ExpressionPredictor`
reads each image and converts it to gray (:mod:`fer_classic.images`), finds
and crops the faces (:mod:`fer_classic.detect`), classifies the crops and
returns one :class:`FacePrediction` row per face, with scores from
:func:`softmax`; ``python -m fer_classic.predict`` is its command line.

Scores
------
Each row has a score per class, summing to 1: the softmax of the
classifier's ``decision_function`` when it has one, otherwise its
``predict_proba`` (random forests), the rule of
:func:`~fer_classic.utils.scores.classifier_scores` that mirror averaging
follows too. Softmax scores rank the classes as the model does but are not
calibrated probabilities (for a logistic regression they are its
``predict_proba``). The label is always the model's own ``predict``.

Moved names
-----------
Image reading and drawing (:data:`~fer_classic.images.IMAGE_EXTENSIONS`,
:class:`~fer_classic.images.ImageReadError`,
:func:`~fer_classic.images.read_image`,
:func:`~fer_classic.images.to_grayscale`,
:func:`~fer_classic.images.iter_image_files`,
:func:`~fer_classic.images.draw_predictions`) now live in
:mod:`fer_classic.images`, face detection
(:data:`~fer_classic.detect.HAAR_CASCADE`,
:func:`~fer_classic.detect.load_cascade`,
:func:`~fer_classic.detect.detect_faces`,
:func:`~fer_classic.detect.reading_order`,
:func:`~fer_classic.detect.crop_faces`,
:func:`~fer_classic.detect.resize_whole`) in :mod:`fer_classic.detect`.
This module still re-exports them, so ``from fer_classic.faces import
read_image, detect_faces`` keeps working for one more release; import them
from their new modules.

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

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import cv2
import numpy as np
from sklearn.pipeline import Pipeline

# Re-exported for one release: these names lived here before fer_classic.images
# and fer_classic.detect existed (see "Moved names" above).
from .detect import (HAAR_CASCADE, check_detect_params, crop_faces, detect_faces,
                     load_cascade, reading_order, resize_whole)
from .images import (IMAGE_EXTENSIONS, ImageReadError, annotation_path, draw_predictions,
                     iter_image_files, read_image, to_grayscale, write_image)
from .persist import label_names_for, load_model, score_method_of
from .utils.scores import classifier_scores
from .utils.validation import check_faces, check_number

__all__ = [
    "softmax",
    "FacePrediction",
    "ExpressionPredictor",
    # moved to fer_classic.images and fer_classic.detect; re-exported for one release
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
    "iter_image_files",
    "draw_predictions",
]


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
        Passed to :func:`~fer_classic.detect.detect_faces`.
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
        self.margin = float(check_number(margin, "margin", 0.0, 10.0))
        self.detect_params = {
            "scale_factor": scale_factor, "min_neighbors": min_neighbors,
            "min_size": min_face_size, "max_side": max_side,
        }
        check_detect_params(scale_factor, min_neighbors, min_face_size, max_side)
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
            Any image array :func:`~fer_classic.images.to_grayscale` accepts.
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
            (:data:`~fer_classic.images.IMAGE_EXTENSIONS`) are read in name order.
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
                target = annotation_path(Path(annotate_dir), Path(path), written)
                try:
                    write_image(target, draw_predictions(image, found))
                    written.add(target)
                except (OSError, cv2.error) as exc:
                    rows.append(FacePrediction(
                        file=str(path), box=None, label=None, label_id=None,
                        error=f"{target}: could not write the annotated copy ({exc})."))
        return rows
