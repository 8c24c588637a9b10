"""Dense SIFT descriptors computed for a whole stack of faces at once.

The descriptor is Lowe's SIFT histogram (4 x 4 spatial bins x 8 orientation
bins = 128 values) sampled on a regular grid with a fixed scale and a fixed
orientation, the way VLFeat's ``vl_dsift`` computes it: instead of visiting
every keypoint, the gradient of every image is split into one magnitude map per
orientation bin, each map is pooled with the triangular (bilinear) spatial
kernel of a SIFT bin, and the pooled maps are read at all bin centres of all
keypoints in one go. Here the pooling is evaluated once per distinct bin
centre (neighbouring keypoints share most of their bins), followed by one
gather and the normalisation of every descriptor.

Two backends compute the same stages: ``backend="numpy"`` runs each stage on
a whole chunk of faces with NumPy and OpenCV (matrix products, fancy
indexing); ``backend="numba"`` runs all of them on one face at a time in
compiled loops (:mod:`._sift_kernels`), so that a face's temporaries stay in
cache. The NumPy one is the reference the tests hold the kernels to, and the
fallback when Numba is missing.
"""

import functools
import math
import numbers
from numbers import Integral, Real
from typing import NamedTuple

import cv2
import numpy as np
from scipy import ndimage

from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Hidden, Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import jit
from ..utils.jit import resolve_backend
from ..utils.parallel import map_chunks
from ..utils.validation import check_positive_int
from ._face import N_JOBS_CONSTRAINT, FaceStackEstimator, check_face_stack

#: The compiled kernels, imported on first use so that ``import fer_classic`` stays light.
_KERNELS = "fer_classic.features._sift_kernels"

__all__ = ["dense_sift", "dense_sift_positions", "sample_descriptors", "DenseSIFT"]

_DEFAULT_CHUNK = 64


def _check_bin_sizes(bin_size):
    """Return ``bin_size`` as a tuple of positive ints (one per scale)."""
    if isinstance(bin_size, numbers.Integral) and not isinstance(bin_size, bool):
        sizes = (bin_size,)
    else:
        try:
            sizes = tuple(bin_size)
        except TypeError:
            sizes = (bin_size,)
    if len(sizes) == 0:
        raise ValueError("bin_size must be a positive int or a non-empty sequence of them; "
                         "got an empty sequence.")
    return tuple(check_positive_int(b, "bin_size") for b in sizes)


def _check_sift_params(step, bin_size, n_bins_spatial, n_orientations, smoothing,
                       window_sigma, contrast_threshold, dtype):
    step = check_positive_int(step, "step")
    sizes = _check_bin_sizes(bin_size)
    n_bins_spatial = check_positive_int(n_bins_spatial, "n_bins_spatial")
    n_orientations = check_positive_int(n_orientations, "n_orientations", minimum=2)
    if not (isinstance(smoothing, str) and smoothing == "auto"):
        if (isinstance(smoothing, bool) or not isinstance(smoothing, numbers.Real)
                or not np.isfinite(smoothing) or smoothing < 0):
            raise ValueError(f"smoothing must be 'auto' or a finite float >= 0 (Gaussian sigma in "
                             f"pixels); got {smoothing!r}.")
    if window_sigma is not None:
        if (isinstance(window_sigma, bool) or not isinstance(window_sigma, numbers.Real)
                or not np.isfinite(window_sigma) or window_sigma <= 0):
            raise ValueError(f"window_sigma must be None (flat window) or a float > 0 (in bins); "
                             f"got {window_sigma!r}.")
    if contrast_threshold is not None:
        if (isinstance(contrast_threshold, bool)
                or not isinstance(contrast_threshold, numbers.Real)
                or not np.isfinite(contrast_threshold) or contrast_threshold < 0):
            raise ValueError(f"contrast_threshold must be None or a float >= 0; "
                             f"got {contrast_threshold!r}.")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.uint8)):
        raise ValueError(f"dtype must be 'float32' or 'uint8'; got {dtype!r}.")
    return step, sizes, n_bins_spatial, n_orientations, dt


def _axis_positions(size, bin_size, n_bins_spatial, step):
    """Keypoint centres along one axis: the descriptor's footprint fits the image."""
    margin = (n_bins_spatial * bin_size) // 2
    pos = np.arange(margin, size - margin + 1, step)
    if pos.size == 0:
        raise ValueError(
            f"images of side {size} are too small for a dense SIFT descriptor of "
            f"{n_bins_spatial} bins x {bin_size} pixels ({n_bins_spatial * bin_size} pixels wide)."
        )
    return pos


def dense_sift_positions(image_shape=(48, 48), *, step=2, bin_size=4, n_bins_spatial=4):
    """Keypoint centres used by :func:`dense_sift` for one image shape.

    Parameters
    ----------
    image_shape : tuple of int, default=(48, 48)
        ``(height, width)`` of the faces.
    step, bin_size, n_bins_spatial
        As in :func:`dense_sift`; ``bin_size`` may be a sequence (one grid per
        scale, concatenated in that order).

    Returns
    -------
    positions : ndarray of shape (n_keypoints, 2), dtype int
        ``(row, col)`` of every keypoint centre, rows varying slowest.

    Examples
    --------
    >>> dense_sift_positions((48, 48), step=2, bin_size=4).shape
    (289, 2)
    """
    step = check_positive_int(step, "step")
    n_bins_spatial = check_positive_int(n_bins_spatial, "n_bins_spatial")
    out = []
    for b in _check_bin_sizes(bin_size):
        rows = _axis_positions(image_shape[0], b, n_bins_spatial, step)
        cols = _axis_positions(image_shape[1], b, n_bins_spatial, step)
        rr, cc = np.meshgrid(rows, cols, indexing="ij")
        out.append(np.stack([rr.ravel(), cc.ravel()], axis=1))
    return np.concatenate(out).astype(np.intp)


def _bin_grid(n_keypoints, step, bin_size, n_bins_spatial):
    """Bin centres of all keypoints along one axis as one arithmetic grid.

    Keypoint ``a`` (centre ``first + a * step``) has its bin ``rb`` centred at
    ``first + a * step + (rb - (n_bins_spatial - 1) / 2) * bin_size``: every
    bin centre is on the grid ``lowest + j * spacing`` with ``spacing =
    gcd(step, bin_size)``, at ``j = a * key_stride + rb * bin_stride``. Pooling
    is computed once per grid point (with ``step=2, bin_size=4``, 23 points on
    a 48-pixel axis serve 17 keypoints x 4 bins).

    Returns ``(offset_of_lowest, spacing, n_points, key_stride, bin_stride)``,
    ``offset_of_lowest`` relative to the first keypoint centre.
    """
    spacing = math.gcd(step, bin_size)
    lowest = -(n_bins_spatial - 1) / 2.0 * bin_size
    n_points = ((n_keypoints - 1) * step + (n_bins_spatial - 1) * bin_size) // spacing + 1
    return lowest, spacing, n_points, step // spacing, bin_size // spacing


def _pooling_weights(size, centres, bin_size):
    """Triangular kernel (half-width ``bin_size``) of each centre, ``(n_centres, size)``."""
    x = np.arange(size, dtype=np.float64)
    weights = np.maximum(0.0, 1.0 - np.abs(x[None, :] - centres[:, None]) / bin_size)
    return weights.astype(np.float32)


def _blur(images, sigma):
    """Gaussian blur of a ``(n, h, w)`` float32 stack, each image on its own.

    The filter of ``ndimage.gaussian_filter(images, (0, sigma, sigma),
    mode="mirror")`` (radius ``int(4 * sigma + 0.5)``), as OpenCV's separable
    filter along the rows of the whole stack, then along the rows of its
    transpose (the Numba backend has its own loop, ``_sift_kernels.blur``).
    Every output pixel is the same weighted sum in the same order, so flat
    regions stay exactly flat (their gradient is 0, not rounding noise that
    normalisation would blow up).
    """
    if sigma == 0:
        return images
    n, h, w = images.shape
    kernel = _gaussian_kernel(sigma)
    if not _kernel_fits(sigma, h, w):  # wider than the image: let ndimage reflect
        return ndimage.gaussian_filter(images, sigma=(0, sigma, sigma), mode="mirror")
    one = np.ones((1, 1), dtype=np.float32)
    out = cv2.sepFilter2D(images.reshape(n * h, w), -1, kernel, one,
                          borderType=cv2.BORDER_REFLECT_101)
    out = np.ascontiguousarray(out.reshape(n, h, w).transpose(0, 2, 1))
    out = cv2.sepFilter2D(out.reshape(n * w, h), -1, kernel, one,
                          borderType=cv2.BORDER_REFLECT_101)
    return np.ascontiguousarray(out.reshape(n, w, h).transpose(0, 2, 1))


def _kernel_fits(sigma, h, w):
    """Whether the blur kernel's radius is below both image sides (or no blur)."""
    return sigma == 0 or len(_gaussian_kernel(sigma)) // 2 < min(h, w)


@functools.lru_cache(maxsize=32)
def _gaussian_kernel(sigma):
    radius = int(4.0 * sigma + 0.5)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return (kernel / kernel.sum()).astype(np.float32)


def _orientation_maps(images, n_orientations):
    """Gradient magnitude split between orientation bins, ``(n, h, w, n_o)`` float32.

    Orientation follows OpenCV's SIFT: angle of ``(dI/dx, -dI/dy)`` with the
    row axis pointing down, i.e. counter-clockwise as displayed, bin ``k``
    centred on ``k * 360 / n_orientations`` degrees; each pixel's magnitude is
    shared linearly between its two nearest bins.
    """
    n, h, w = images.shape
    gx = np.gradient(images, axis=2)
    gy = np.gradient(images, axis=1)
    np.negative(gy, out=gy)
    mag = np.hypot(gx, gy)
    t = np.arctan2(gy, gx)
    del gx, gy
    t[t < 0] += np.float32(2.0 * np.pi)
    t *= np.float32(n_orientations / (2.0 * np.pi))  # in [0, n_o]
    out = np.zeros((n, h, w, n_orientations), dtype=np.float32)
    o = t.astype(np.int32)  # floor
    hi = t
    hi -= o
    hi *= mag  # share of the next bin (counter-clockwise)
    lo = mag
    lo -= hi
    o1 = o + 1
    o %= n_orientations
    o1 %= n_orientations
    base = np.arange(0, n * h * w * n_orientations, n_orientations, dtype=np.intp)
    flat = out.reshape(-1)
    flat[base + o.ravel()] = lo.ravel()
    flat[base + o1.ravel()] = hi.ravel()
    return out


def _pool(maps, qr, qc):
    """Orientation maps pooled with the bin kernels of rows ``qr`` and columns ``qc``.

    ``qr`` is ``(R, h)`` and ``qc`` is ``(C, w)`` (:func:`_pooling_weights`);
    the result is ``(n, R, C, n_o)``.
    """
    n, h, w, no = maps.shape
    pooled = np.matmul(qr, maps.reshape(n, h, w * no))  # (n, R, w * no)
    pooled = np.matmul(qc, pooled.reshape(-1, w, no))  # (n * R, C, no)
    return pooled.reshape(n, len(qr), len(qc), no)


def _bands(weights):
    """First and one-past-last non-zero column of every row of ``weights``."""
    nz = weights > 0
    start = nz.argmax(axis=1)
    stop = weights.shape[1] - nz[:, ::-1].argmax(axis=1)
    return start.astype(np.int64), stop.astype(np.int64)


class _Geometry(NamedTuple):
    """Where one scale's keypoints and their bins sit (:func:`_geometry`)."""

    n_rows: int  # keypoints per column
    n_cols: int  # keypoints per row
    key_stride: int  # pooled-grid points from one keypoint to the next
    bin_stride: int  # pooled-grid points from one bin to the next
    qr: np.ndarray  # (R, h) bin kernel of every pooled row
    qc: np.ndarray  # (C, w) bin kernel of every pooled column
    qr_bands: tuple  # first and one-past-last non-zero column of each row of qr
    qc_bands: tuple  # the same for qc
    window: np.ndarray  # (nb, nb) Gaussian window weight of each bin


@functools.lru_cache(maxsize=64)
def _geometry(h, w, step, bin_size, n_bins_spatial, window_sigma):
    """Keypoint grid, pooling kernels and window of one scale on ``h x w`` images.

    Pooling is evaluated on the grid of all bin centres (:func:`_bin_grid`).
    The window is the Gaussian of ``window_sigma`` bins taken at the bin
    centres (all ones for None). Cached: the arrays are shared, never modify
    them.
    """
    nb = n_bins_spatial
    rows = _axis_positions(h, bin_size, nb, step)
    cols = _axis_positions(w, bin_size, nb, step)
    lowest, spacing, n_r, key_stride, bin_stride = _bin_grid(len(rows), step, bin_size, nb)
    _, _, n_c, _, _ = _bin_grid(len(cols), step, bin_size, nb)
    qr = _pooling_weights(h, rows[0] + lowest + spacing * np.arange(n_r), bin_size)
    qc = _pooling_weights(w, cols[0] + lowest + spacing * np.arange(n_c), bin_size)
    offsets = (np.arange(nb) - (nb - 1) / 2.0) * bin_size
    if window_sigma is None:
        g = np.ones(nb)
    else:
        g = np.exp(-0.5 * (offsets / (window_sigma * bin_size)) ** 2)
    window = (g[:, None] * g[None, :]).astype(np.float32)
    return _Geometry(len(rows), len(cols), key_stride, bin_stride, qr, qc, _bands(qr),
                     _bands(qc), window)


def _describe_scale(maps, geom, contrast_threshold, dtype):
    """Normalised descriptors of one scale, ``(n, R * C, nb * nb * n_o)`` of ``dtype``.

    Every orientation map is pooled with the triangular bin kernels
    (:func:`_pool`), each keypoint's bins are gathered from the pooled maps
    and weighted by the window, then the descriptors are normalised
    (:func:`_normalise`).
    """
    n, h, w, no = maps.shape
    nb = len(geom.window)
    pooled = _pool(maps, geom.qr, geom.qc)
    n_c = len(geom.qc)
    k, d = geom.n_rows * geom.n_cols, nb * nb * no
    a = (np.arange(geom.n_rows)[:, None] * geom.key_stride
         + np.arange(nb)[None, :] * geom.bin_stride)
    c = (np.arange(geom.n_cols)[:, None] * geom.key_stride
         + np.arange(nb)[None, :] * geom.bin_stride)
    # (R, C, rb, cb) -> flat index of the pooled bin
    flat = a[:, None, :, None] * n_c + c[None, :, None, :]
    desc = np.take(pooled.reshape(n, len(geom.qr) * n_c, no), flat.ravel(), axis=1)
    desc = desc.reshape(n, k, d)
    desc *= np.repeat(geom.window.ravel(), no)
    _normalise(desc, contrast_threshold, 512.0 if dtype == np.uint8 else 1.0)
    if dtype == np.uint8:
        np.minimum(desc, np.float32(255.0), out=desc)
        np.rint(desc, out=desc)
        return desc.astype(np.uint8)
    return desc


def _describe_faces_numba(images, sigma, geom, n_orientations, contrast_threshold, dtype):
    """One scale of the Numba backend: every stage on one face at a time.

    The blur, gradient, orientation maps, pooling and normalised descriptors
    of ``_sift_kernels.face_kernel``; the blur kernel must be narrower than
    the images (:func:`_kernel_fits`).
    """
    n, h, w = images.shape
    nb = len(geom.window)
    kernel = _gaussian_kernel(sigma) if sigma else np.ones(1, dtype=np.float32)
    out = np.empty((n, geom.n_rows * geom.n_cols, nb * nb * n_orientations), dtype=dtype)
    thr = 0.0 if contrast_threshold is None else contrast_threshold
    scale = 512.0 if dtype == np.uint8 else 1.0
    run = jit.import_kernels(_KERNELS).face_kernel(w, nb, n_orientations)
    jit.call(run, images, kernel, geom.qr, *geom.qr_bands, geom.qc, *geom.qc_bands,
             geom.n_rows, geom.n_cols, geom.key_stride, geom.bin_stride, geom.window,
             np.float32(thr), np.float32(scale), dtype == np.uint8, out)
    return out


def _normalise(desc, contrast_threshold, scale=1.0):
    """SIFT normalisation of ``(n, n_kp, n_dims)`` float32 descriptors, in place.

    Unit L2 norm, values clamped at 0.2, unit norm again (then times
    ``scale``); descriptors with raw norm <= ``contrast_threshold`` (0 when
    None) become zero. The clamp is applied to the raw values at
    ``0.2 * norm`` so that only one rescaling pass is needed.
    """
    norm = np.sqrt(np.einsum("nkd,nkd->nk", desc, desc))
    np.minimum(desc, (np.float32(0.2) * norm)[..., None], out=desc)
    norm2 = np.sqrt(np.einsum("nkd,nkd->nk", desc, desc))
    factor = _factors(norm, norm2, contrast_threshold, scale)
    desc *= factor[..., None]
    return desc


def _factors(norm, norm2, contrast_threshold, scale):
    """Final scale of each descriptor: ``scale / norm2``, or 0 at low contrast."""
    thr = 0.0 if contrast_threshold is None else contrast_threshold
    return np.where(norm > thr, scale / np.maximum(norm2, 1e-30), 0.0).astype(np.float32)


def _dense_sift_chunk(images, sizes, step, n_bins_spatial, n_orientations, smoothing,
                      window_sigma, contrast_threshold, dtype, backend):
    """Descriptors ``(n, n_kp, n_dims)`` of a chunk of faces."""
    images = np.ascontiguousarray(images, dtype=np.float32)
    n, h, w = images.shape
    maps_by_sigma = {}
    parts = []
    for b in sizes:
        sigma = b / 6.0 if isinstance(smoothing, str) else float(smoothing)
        geom = _geometry(h, w, step, b, n_bins_spatial, window_sigma)
        if backend == "numba" and _kernel_fits(sigma, h, w):
            # face by face; a blur shared by several scales is recomputed for each
            parts.append(_describe_faces_numba(images, sigma, geom, n_orientations,
                                               contrast_threshold, dtype))
            continue
        if sigma not in maps_by_sigma:
            maps_by_sigma[sigma] = _orientation_maps(_blur(images, sigma), n_orientations)
        parts.append(_describe_scale(maps_by_sigma[sigma], geom, contrast_threshold, dtype))
    del maps_by_sigma
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def dense_sift(faces, *, step=2, bin_size=4, n_bins_spatial=4, n_orientations=8,
               smoothing="auto", window_sigma=2.0, contrast_threshold=None,
               dtype=np.float32, chunk_size=_DEFAULT_CHUNK, n_jobs=None, backend="auto"):
    """Dense SIFT descriptors on a regular grid, for a whole stack of faces.

    Every face gets the same keypoints: centres every ``step`` pixels such that
    the descriptor's ``n_bins_spatial * bin_size`` pixel footprint fits the
    image, orientation 0 (upright), one scale per entry of ``bin_size``.

    Parameters
    ----------
    faces : array-like of shape (n, h, w) or (n, 2304)
        Grayscale faces, uint8 in 0..255 or floats (intensities in [0, 1],
        read times 255; see ``contrast_threshold``); flattened rows are read
        as 48x48.
    step : int, default=2
        Distance in pixels between neighbouring keypoint centres.
    bin_size : int or sequence of int, default=4
        Width in pixels of one spatial bin. A sequence computes one grid per
        bin size (a multi-scale "PHOW"-like set) and concatenates them along
        the keypoint axis, in the order given.
    n_bins_spatial : int, default=4
        Spatial bins per side (4 gives the standard 4 x 4 x 8 = 128 values).
    n_orientations : int, default=8
        Orientation bins.
    smoothing : 'auto' or float, default='auto'
        Sigma (pixels) of the Gaussian blur applied before the gradient;
        ``'auto'`` uses ``bin_size / 6`` like VLFeat's ``vl_phow``; 0 turns it
        off.
    window_sigma : float or None, default=2.0
        Sigma of the Gaussian window centred on the keypoint, in bins (2.0 is
        Lowe's and OpenCV's value, half the descriptor width; VLFeat's
        ``vl_phow`` uses 1.5); None for a flat window. As in VLFeat's dsift the
        window is applied per spatial bin, taken at the bin centre.
    contrast_threshold : float or None, default=None
        Descriptors whose norm before normalisation is at or below this value
        are set to zero (flat, textureless patches). The norm is in units of
        0..255 intensities: gradients are central differences of the pixel
        values (uint8, or floats times 255) pooled with bin weights that peak
        at 1. As it depends on the intensity scale, float faces must then
        hold intensities in [0, 1]; without it, floats of any finite value
        are accepted (unit-norm descriptors do not depend on the scale).
    dtype : {'float32', 'uint8'}, default='float32'
        ``float32`` gives unit-norm descriptors; ``uint8`` stores
        ``min(round(512 * value), 255)`` (the usual compact SIFT storage, 4x
        smaller: 35,887 faces x 289 keypoints x 128 is 1.3 GB instead of
        5.3 GB).
    chunk_size : int, default=64
        Faces processed together; bounds the working memory (about 0.6 MB per
        face with the defaults). Small chunks keep the temporaries in cache:
        64 was the fastest of 32-512 here.
    n_jobs : int or None, default=None
        Threads working on chunks (joblib, see
        :func:`fer_classic.utils.parallel.map_chunks`); None means 1, -1 all
        cores.
    backend : {'auto', 'numba', 'numpy'}, default='auto'
        Who computes the descriptors: compiled Numba kernels, one face at a
        time, or NumPy and OpenCV, one chunk at a time (slower: see
        ``benchmarks/results/features.md``). ``'auto'`` uses Numba when it is
        installed. Both give the same descriptors within 1e-5 (float32;
        uint8 values may differ by 1): the Numba kernels' gradient angle is a
        polynomial within 1e-4 degree of ``np.arctan2``.

    Returns
    -------
    descriptors : ndarray of shape (n, n_keypoints, n_bins_spatial**2 * n_orientations)
    positions : ndarray of shape (n_keypoints, 2), dtype int
        ``(row, col)`` of each keypoint centre (see :func:`dense_sift_positions`).

    Notes
    -----
    Gradients are central differences (one-sided at the border) of the
    smoothed image. Each pixel's gradient magnitude is split linearly between
    the two nearest orientation bins and bilinearly between the nearest spatial
    bins (a triangular kernel of half-width ``bin_size`` around each bin
    centre); each bin is weighted by the Gaussian window at its centre; then
    the descriptor is L2 normalised, clamped at 0.2 and renormalised. Bin
    centres sit at offsets ``(i - (n_bins_spatial - 1) / 2) * bin_size`` from
    the keypoint centre, so with the default 4 bins the keypoint is the centre
    of the ``4 * bin_size`` pixel square.

    The layout matches OpenCV's: index ``(r * n_bins_spatial + c) *
    n_orientations + o`` for row bin ``r`` (top first), column bin ``c`` (left
    first) and orientation ``o``, where orientation bin ``o`` is centred on
    ``o * 45`` degrees measured counter-clockwise as displayed (``atan2(-dI/dy,
    dI/dx)``, rows pointing down).

    **Mapping to OpenCV** (``cv2.SIFT.compute`` with keypoints given): OpenCV's
    bin width is ``3 * size / 2`` for a keypoint of diameter ``size`` at octave
    0, so a keypoint ``cv2.KeyPoint(x=col, y=row, size=bin_size / 1.5,
    angle=0)`` matches ``dense_sift(..., bin_size=bin_size)``. OpenCV blurs the
    image with sigma ``sqrt(1.6**2 - 0.5**2) ~= 1.52`` first (use
    ``smoothing=1.52``) and uses the same Gaussian window (``window_sigma=2``)
    and 0.2 clamp; its descriptors are ours times 512. OpenCV applies the
    window per pixel rather than per bin and leaves the one-pixel image border
    out; with these settings the Pearson correlation between matched
    descriptors of real FER2013 faces is 0.997 on average (see
    ``tests/test_features_sift.py``), no permutation of bins needed.

    VLFeat's ``vl_dsift(..., 'size', bin_size, 'step', step)`` uses the same
    bin geometry with its own ordering of the 128 values; ``vl_phow`` adds
    the ``bin_size / 6`` blur (``smoothing='auto'``), a 1.5-bin window and a
    contrast threshold on ``[0, 1]`` images.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, size=(3, 48, 48))
    >>> desc, pos = dense_sift(faces)
    >>> desc.shape, pos.shape
    ((3, 289, 128), (289, 2))
    >>> bool(np.allclose(np.linalg.norm(desc, axis=2), 1, atol=1e-5))
    True
    """
    step, sizes, n_bins_spatial, n_orientations, dt = _check_sift_params(
        step, bin_size, n_bins_spatial, n_orientations, smoothing, window_sigma,
        contrast_threshold, dtype)
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    backend = resolve_backend(backend)
    # unit-norm descriptors do not depend on the intensity scale, a threshold does
    faces = check_face_stack(faces, any_floats=contrast_threshold is None)
    n, h, w = faces.shape
    if min(h, w) < 2:
        raise ValueError(f"dense SIFT needs images of at least 2 x 2 pixels (it takes "
                         f"central differences); got {h} x {w}.")
    positions = dense_sift_positions((h, w), step=step, bin_size=sizes,
                                     n_bins_spatial=n_bins_spatial)

    def work(chunk):
        return _dense_sift_chunk(chunk, sizes, step, n_bins_spatial, n_orientations,
                                 smoothing, window_sigma, contrast_threshold, dt, backend)

    # threads: numpy/BLAS release the GIL in the heavy steps, and the chunks
    # are copied into one preallocated output (no pickling of descriptors)
    out = map_chunks(work, faces, chunk_size=chunk_size, n_jobs=n_jobs)
    return out, positions


def sample_descriptors(extractor, faces, n_samples, random_state=None, *, chunk_size=512,
                       n_jobs=None):
    """A random sample of local descriptors, spread evenly over the faces.

    Every face contributes the same number of randomly chosen keypoints
    (``ceil(n_samples / n_faces)``, at most all of them); the pooled sample is
    then cut to ``n_samples`` at random. Used to fit codebooks and mixtures.

    Parameters
    ----------
    extractor : fitted estimator
        Has ``positions_`` and ``transform_descriptors(faces) -> (n,
        n_keypoints, d)``, e.g. a fitted :class:`DenseSIFT`.
    faces : ndarray of shape (n, h, w)
    n_samples : int
        Descriptors wanted.
    random_state : int, RandomState instance or None
    chunk_size : int, default=512
        Faces per extraction chunk.
    n_jobs : int or None
        Parallel chunks (joblib semantics).

    Returns
    -------
    sample : ndarray of shape (min(n_samples, n * n_keypoints), d), float32
    keypoints : ndarray of shape (len(sample),), int
        Index of each sampled descriptor's keypoint (into ``positions_``).

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, size=(10, 48, 48))
    >>> sift = DenseSIFT(step=8).fit(faces)
    >>> sample, keypoints = sample_descriptors(sift, faces, 100, random_state=0)
    >>> sample.shape, bool(keypoints.max() < sift.n_keypoints_)
    ((100, 128), True)
    """
    rng = check_random_state(random_state)
    n = len(faces)
    n_kp = len(extractor.positions_)
    per_face = min(n_kp, -(-n_samples // n))
    # the same number of random keypoints from every face, fixed up front
    chosen = np.argsort(rng.random((n, n_kp)), axis=1)[:, :per_face]

    def sample(rows):
        desc = extractor.transform_descriptors(faces[rows])
        return np.take_along_axis(desc, chosen[rows][:, :, None], axis=1)

    sampled = map_chunks(sample, np.arange(n), chunk_size=chunk_size, n_jobs=n_jobs,
                         desc="sampling descriptors")
    sampled = sampled.reshape(n * per_face, -1)
    keypoints = chosen.ravel()
    if len(sampled) > n_samples:
        keep = np.sort(rng.choice(len(sampled), n_samples, replace=False))
        sampled, keypoints = sampled[keep], keypoints[keep]
    return sampled.astype(np.float32, copy=False), keypoints


class DenseSIFT(FaceStackEstimator):
    """Dense SIFT descriptors of each face, flattened into one feature vector.

    A thin estimator over :func:`dense_sift`: ``transform`` returns
    ``(n, n_keypoints * 128)`` (keypoints row-major as in ``positions_``, each
    followed by its 128 values), usable directly as a feature vector or, via
    ``reshape(n, n_keypoints_, -1)``, as local descriptors for a bag of visual
    words.

    Parameters
    ----------
    step, bin_size, n_bins_spatial, n_orientations, smoothing, window_sigma, \
contrast_threshold, dtype, chunk_size, n_jobs, backend
        As in :func:`dense_sift`.

    Attributes
    ----------
    image_shape_ : tuple of int
        ``(height, width)`` of the faces seen in ``fit``.
    positions_ : ndarray of shape (n_keypoints, 2)
        ``(row, col)`` keypoint centres.
    n_keypoints_ : int
        Number of keypoints per face.
    n_descriptor_dims_ : int
        Values per descriptor (128 with the defaults).
    n_features_in_ : int
        Pixels per face.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, size=(4, 48, 48))
    >>> sift = DenseSIFT(step=4).fit(faces)
    >>> sift.n_keypoints_, sift.transform(faces).shape
    (81, (4, 10368))
    """

    _parameter_constraints = {
        "step": [Interval(Integral, 1, None, closed="left")],
        # a sequence of bin sizes is checked in fit (non-empty, positive ints)
        "bin_size": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "n_bins_spatial": [Interval(Integral, 1, None, closed="left")],
        "n_orientations": [Interval(Integral, 2, None, closed="left")],
        "smoothing": [StrOptions({"auto"}), Interval(Real, 0, np.inf, closed="left")],
        "window_sigma": [Interval(Real, 0, np.inf, closed="neither"), None],
        "contrast_threshold": [Interval(Real, 0, np.inf, closed="left"), None],
        # NumPy's spellings of the two dtypes are accepted too
        "dtype": [
            StrOptions({"float32", "uint8"}),
            Hidden(Options(type, {np.float32, np.uint8})),
            Hidden(Options(np.dtype, {np.dtype(np.float32), np.dtype(np.uint8)})),
        ],
        "chunk_size": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": N_JOBS_CONSTRAINT,
        "backend": [StrOptions({"auto", "numba", "numpy"})],
    }

    def __init__(self, step=2, bin_size=4, n_bins_spatial=4, n_orientations=8,
                 smoothing="auto", window_sigma=2.0, contrast_threshold=None,
                 dtype="float32", chunk_size=_DEFAULT_CHUNK, n_jobs=None, backend="auto"):
        self.step = step
        self.bin_size = bin_size
        self.n_bins_spatial = n_bins_spatial
        self.n_orientations = n_orientations
        self.smoothing = smoothing
        self.window_sigma = window_sigma
        self.contrast_threshold = contrast_threshold
        self.dtype = dtype
        self.chunk_size = chunk_size
        self.n_jobs = n_jobs
        self.backend = backend

    def _params(self):
        return dict(step=self.step, bin_size=self.bin_size, n_bins_spatial=self.n_bins_spatial,
                    n_orientations=self.n_orientations, smoothing=self.smoothing,
                    window_sigma=self.window_sigma, contrast_threshold=self.contrast_threshold,
                    dtype=self.dtype, chunk_size=self.chunk_size, n_jobs=self.n_jobs,
                    backend=self.backend)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the image shape and keypoint grid.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, 2304)
            Faces.
        y : ignored

        Returns
        -------
        self : DenseSIFT
        """
        sizes = _check_bin_sizes(self.bin_size)
        resolve_backend(self.backend)  # refuses 'numba' when Numba is missing
        nbs = self.n_bins_spatial
        self._check_stack(X, reset=True, any_floats=self.contrast_threshold is None)
        self.positions_ = dense_sift_positions(self.image_shape_, step=self.step,
                                               bin_size=sizes, n_bins_spatial=nbs)
        self.n_keypoints_ = len(self.positions_)
        self.n_descriptor_dims_ = nbs * nbs * self.n_orientations
        return self

    def transform(self, X):
        """Descriptors of every face, flattened.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of the shape seen in ``fit``.

        Returns
        -------
        features : ndarray of shape (n, n_keypoints_ * n_descriptor_dims_)
        """
        desc = self.transform_descriptors(X)
        return desc.reshape(len(desc), -1)

    def transform_descriptors(self, X):
        """Descriptors of every face as ``(n, n_keypoints_, n_descriptor_dims_)``."""
        check_is_fitted(self)
        faces = self._check_stack(X, reset=False, any_floats=self.contrast_threshold is None)
        desc, _ = dense_sift(faces, **self._params())
        return desc

    def get_feature_names_out(self, input_features=None):
        """Names ``sift_k{keypoint}_b{row}_{col}_o{orientation}`` of the output columns.

        Keypoints are numbered as in ``positions_``; ``b`` is the spatial bin
        (row, column) within the descriptor and ``o`` the orientation bin, in
        the order of :meth:`transform`'s columns.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        names : ndarray of str objects, shape (n_keypoints_ * n_descriptor_dims_,)
        """
        check_is_fitted(self)
        nbs, n_o = self.n_bins_spatial, self.n_orientations
        return np.asarray(
            [
                f"sift_k{k}_b{r}_{c}_o{o}"
                for k in range(self.n_keypoints_)
                for r in range(nbs)
                for c in range(nbs)
                for o in range(n_o)
            ],
            dtype=object,
        )
