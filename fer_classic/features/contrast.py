"""Per-face contrast: histogram equalisation, and contrast jitter for training.

FER2013's faces come in two forms: the original ``fer2013.csv`` pixels, of
every contrast and brightness, and copies histogram-equalised face by face
(the image-folder copy these benchmarks use). Equalising every face first
maps both to (nearly) the same image: the result depends only on the order
of a face's grey levels, so any increasing change of contrast, brightness or
gamma leaves it unchanged, except where the change merges levels (a
compressed range, or an offset that clips at 0 or 255).

Merged levels are lost for good, so a classifier that should hold up under
them learns from such faces: :class:`ContrastJitter`, placed before the
equalisation, changes the contrast of a share of the Training faces at
random while the pipeline is fitted, and passes faces through unchanged
when it predicts.
"""

from numbers import Real

import cv2
import numpy as np
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ..datasets.augment import jitter_contrast
from ._face import PixelTransformer, scale_intensities

__all__ = ["equalize_faces", "HistogramEqualization", "ContrastJitter"]


def equalize_faces(faces, *, clip=True):
    """Histogram-equalise each face on its own (``cv2.equalizeHist``).

    Parameters
    ----------
    faces : ndarray of shape (n, h, w)
        Intensities in 0..255 (uint8, or floats rounded to the nearest of
        the 256 levels).
    clip : bool, default=True
        Clip float intensities to [0, 255] first. ``False`` keeps the levels
        outside 0..255 (the rounded floats of faces outside [0, 1], read
        times 255) and equalises a face that has such levels by OpenCV's
        rule over its own levels, in order (:func:`_equalize_levels`); faces
        within 0..255 go to ``cv2.equalizeHist`` either way.

    Returns
    -------
    equalised : ndarray of shape (n, h, w), uint8
        Each face's intensities spread over 0..255 by its own cumulative
        histogram.

    Examples
    --------
    >>> import numpy as np
    >>> face = np.array([[[100, 100], [110, 120]]], dtype=np.uint8)
    >>> equalize_faces(face)[0]
    array([[  0,   0],
           [128, 255]], dtype=uint8)
    >>> (equalize_faces(face // 2 + 60) == equalize_faces(face)).all()  # contrast and offset
    np.True_
    >>> (equalize_faces(face * 1000.0 - 7, clip=False) == equalize_faces(face)).all()
    np.True_
    """
    faces = np.asarray(faces)
    out = np.empty(faces.shape, dtype=np.uint8)
    if faces.dtype != np.uint8:
        if clip:
            faces = np.clip(faces, 0, 255)
        faces = np.rint(faces)
        beyond = ((faces < 0) | (faces > 255)).reshape(len(faces), -1).any(axis=1)
        for i in np.flatnonzero(beyond):
            out[i] = _equalize_levels(faces[i])
        faces = np.clip(faces, 0, 255).astype(np.uint8)
    else:
        beyond = np.zeros(len(faces), dtype=bool)
    faces = np.ascontiguousarray(faces)
    for i in np.flatnonzero(~beyond):
        cv2.equalizeHist(faces[i], dst=out[i])
    return out


def _equalize_levels(face):
    """``cv2.equalizeHist``'s rule over a face's own levels, of any range.

    The first (lowest) level maps to 0 and each level after it to
    ``round(n_below_or_at * 255 / (n - n_first))``, in float32 as OpenCV
    computes it (``n``: pixels, ``n_first``: pixels of the lowest level);
    a face of one level keeps it, clipped to 0..255, as OpenCV keeps it.
    On levels within 0..255 this is ``cv2.equalizeHist`` bit for bit.

    Examples
    --------
    >>> import numpy as np
    >>> _equalize_levels(np.array([[-300.0, -300.0], [2.0, 900.0]]))
    array([[  0,   0],
           [128, 255]], dtype=uint8)
    """
    levels, index, counts = np.unique(face, return_inverse=True, return_counts=True)
    if len(levels) == 1:
        return np.full(face.shape, np.clip(levels[0], 0, 255), dtype=np.uint8)
    scale = np.float32(255) / np.float32(face.size - counts[0])
    lut = np.rint(np.cumsum(counts[1:]).astype(np.float32) * scale)
    lut = np.concatenate([[0], np.clip(lut, 0, 255)]).astype(np.uint8)
    return lut[index].reshape(face.shape)


class HistogramEqualization(PixelTransformer):
    """Histogram-equalise each face: the first step of every registry pipeline.

    Stateless: ``fit`` only checks the input. The output is the equalised
    faces, flattened, as uint8 in 0..255, which every feature extractor of
    :mod:`fer_classic.features` accepts.

    Parameters
    ----------
    image_shape : tuple of (int, int), default=(48, 48)
        Face size ``(h, w)``: rows of ``h * w`` values are read as faces of
        this shape, and a 3-D stack must have it. One side may be ``-1``
        (as in :func:`numpy.reshape`): ``fit`` takes it from the faces, so
        ``(1, -1)`` reads rows of any width as faces of one row.

    Attributes
    ----------
    image_shape_ : tuple of (int, int)
        The face size ``(h, w)`` of ``fit``'s faces (``image_shape`` with
        its side ``-1`` filled in); ``transform`` takes faces of this size.
    n_features_in_ : int
        ``h * w``, the number of pixels of a face (2304 by default).

    Notes
    -----
    Input faces follow :func:`~fer_classic.utils.validation.check_faces`:
    integers in 0..255 (uint8) or floats in [0, 1], scaled by 255 and
    rounded to the nearest level. Floats of any other finite value are
    read by the same rule, and their levels outside 0..255 are kept: as
    the equalisation depends only on the order of a face's levels and how
    many pixels hold each, such a face is equalised by OpenCV's rule over
    its own levels (:func:`equalize_faces` with ``clip=False``). So 0..255
    intensities stored as floats give the same output as the uint8 faces,
    and uint8 faces and floats in [0, 1] give exactly
    ``cv2.equalizeHist``'s.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> faces = rng.integers(0, 256, (2, 48, 48)).astype(np.uint8)
    >>> dim = (faces // 3 + 40).astype(np.uint8)  # a third of the contrast, brighter
    >>> eq = HistogramEqualization().fit(faces)
    >>> eq.transform(faces).shape, eq.transform(faces).dtype
    ((2, 2304), dtype('uint8'))
    >>> float(np.abs(eq.transform(faces).astype(int) - eq.transform(dim)).mean()) < 3
    True
    >>> (eq.transform(faces.astype(np.float32)) == eq.transform(faces)).all()  # floats 0..255
    np.True_
    """

    _parameter_constraints = {"image_shape": [tuple]}

    def __init__(self, *, image_shape=(48, 48)):
        self.image_shape = image_shape

    def transform(self, X):
        """Equalised faces.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``: uint8 in 0..255, or floats
            (intensities in [0, 1], or of any finite value: see Notes).

        Returns
        -------
        faces : ndarray of shape (n, h * w), uint8
        """
        check_is_fitted(self, "n_features_in_")
        faces = scale_intensities(self._check_faces(X, reset=False))
        faces = equalize_faces(faces, clip=False)
        return faces.reshape(len(faces), -1)


class ContrastJitter(PixelTransformer):
    """Random gamma, contrast and brightness for a share of the Training faces.

    A training-time augmentation step: ``fit_transform`` (what a pipeline
    calls on its training data) changes each face, with probability ``p``,
    by its own random increasing map of the grey levels
    (:func:`~fer_classic.datasets.jitter_contrast`: gamma, contrast about
    mid-grey, then an offset, clipped to 0..255), and leaves the others as
    they are; ``transform`` (what a fitted pipeline calls to predict)
    returns every face unchanged. Placed before
    :class:`HistogramEqualization`, it shows the classifier faces whose
    levels were merged by clipping or compression, as other cameras give
    them, without adding rows: the fit costs what it cost without it.

    Parameters
    ----------
    p : float, default=0.5
        Probability that a face is changed, in [0, 1].
    max_gamma, min_contrast, max_offset : float
        The range of the random maps, as in
        :func:`~fer_classic.datasets.jitter_contrast` (defaults 2.0, 0.5,
        40.0 grey levels).
    random_state : int, RandomState instance or None, default=None
        Seeds which faces are changed and how, drawn for all faces of one
        ``fit_transform`` call at once, in order.
    image_shape : tuple of (int, int), default=(48, 48)
        Face size ``(h, w)``, as for :class:`HistogramEqualization`.

    Attributes
    ----------
    image_shape_ : tuple of (int, int)
    n_features_in_ : int

    Notes
    -----
    ``fit_transform`` differs from ``fit(X).transform(X)`` on purpose (as
    scikit-learn's :class:`~sklearn.preprocessing.TargetEncoder` does), so
    the step jitters only where a pipeline fits on its output: in
    :class:`~sklearn.pipeline.Pipeline` ``fit`` and in the protocol's
    feature extraction of unmirrored Training faces. Faces are read as by
    :class:`HistogramEqualization` (uint8, or floats: intensities in
    [0, 1], times 255) and come out in their own dtype and scale.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48)).astype(np.uint8)
    >>> jitter = ContrastJitter(p=1.0, random_state=0)
    >>> changed = jitter.fit_transform(faces)
    >>> changed.shape, bool((changed != faces.reshape(4, -1)).any(axis=1).all())
    ((4, 2304), True)
    >>> bool((jitter.transform(faces) == faces.reshape(4, -1)).all())  # predicting: unchanged
    True
    """

    _parameter_constraints = {
        "p": [Interval(Real, 0, 1, closed="both")],
        "max_gamma": [Interval(Real, 1, None, closed="left")],
        "min_contrast": [Interval(Real, 0, 1, closed="right")],
        "max_offset": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "image_shape": [tuple],
    }

    def __init__(self, *, p=0.5, max_gamma=2.0, min_contrast=0.5, max_offset=40.0,
                 random_state=None, image_shape=(48, 48)):
        self.p = p
        self.max_gamma = max_gamma
        self.min_contrast = min_contrast
        self.max_offset = max_offset
        self.random_state = random_state
        self.image_shape = image_shape

    def transform(self, X):
        """The faces unchanged, as rows (predicting, or any call after ``fit``).

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)

        Returns
        -------
        faces : ndarray of shape (n, h * w)
            ``X`` as validated, in its dtype.
        """
        check_is_fitted(self, "n_features_in_")
        return self._rows(self._check_faces(X, reset=False))

    @staticmethod
    def _rows(faces):
        """A copy of the validated faces as rows (the caller may change it)."""
        return np.array(faces.reshape(len(faces), -1))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit, then change a random share ``p`` of the faces (training).

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
        y : ignored

        Returns
        -------
        faces : ndarray of shape (n, h * w)
            In the dtype of ``X``; a changed float face is mapped on the
            0..255 scale (``X`` times 255) and scaled back.
        """
        faces = self._rows(self._check_faces(X, reset=True))  # fit: checked once
        rng = check_random_state(self.random_state)
        chosen = np.flatnonzero(rng.uniform(size=len(faces)) < self.p)
        if len(chosen):
            levels = scale_intensities(faces[chosen])
            floats = np.issubdtype(levels.dtype, np.floating)
            # integer faces hold 0..255 (checked): the uint8 maps, in their own dtype
            levels = jitter_contrast(levels if floats else levels.astype(np.uint8),
                                     max_gamma=self.max_gamma, min_contrast=self.min_contrast,
                                     max_offset=self.max_offset, random_state=rng)
            faces[chosen] = levels / levels.dtype.type(255) if floats else levels
        return faces
