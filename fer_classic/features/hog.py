"""Histograms of oriented gradients (HOG), vectorised over a stack of faces.

:func:`hog_features` computes, for a whole ``(n, h, w)`` stack at once, the
same descriptor as :func:`skimage.feature.hog` applied face by face (grayscale,
``feature_vector=True``), including scikit-image's conventions:

* gradients are central differences ``I[r+1] - I[r-1]`` (and the same along
  columns) with the first and last row (column) set to zero;
* each pixel votes its gradient magnitude into exactly one orientation bin
  (no interpolation): bin ``i`` holds unsigned orientations
  ``e_i <= theta < e_{i+1}`` in degrees, ``theta = atan2(g_row, g_col) mod 180``,
  with edges ``e_i = float32(180 / orientations * i)``;
* a cell averages the votes of its pixels (sum / pixels per cell); the rows
  and columns left over when the cell size does not divide the image size
  belong to no cell;
* blocks of cells are normalised with ``L1``, ``L1-sqrt``, ``L2`` or
  ``L2-Hys`` (clip at 0.2, renormalise) with ``eps = 1e-5``.

The work is plain NumPy on float32 buffers of a few dozen faces (so they stay
in cache), with one scatter-add per buffer for the cell histograms (a Numba
loop when Numba is installed, else ``np.add.at``: the same sums either way).
Orientation bins come from a float32 ``arctan2``; the few pixels whose angle
lies within ``1e-4`` bin of a bin edge (and is not exactly horizontal) are
re-binned with scikit-image's exact float64 formula, so bin assignments match
scikit-image's exactly and the features differ only by float32 rounding of
sums and norms: the tests require a maximum absolute difference below 1e-5
(about 2e-7 is typical).
"""

import functools
from numbers import Integral

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import FACE_SIZE
from ..utils import jit
from ..utils.jit import have_numba
from ..utils.parallel import map_chunks
from ..utils.validation import check_positive_int
from ._face import (
    N_JOBS_CONSTRAINT,
    PAIR_CONSTRAINT,
    FaceTransformer,
    check_face_values,
    check_pair,
    scale_intensities,
)

__all__ = ["hog_features", "hog_output_shape", "HOG"]

BLOCK_NORMS = ("L1", "L1-sqrt", "L2", "L2-Hys")

_EPS = 1e-5  # scikit-image's block-normalisation epsilon
# Half-width, in bins, of the zone around bin edges re-binned in float64: it
# covers float32 atan2 error (a few ulp of pi, scaled by n / pi) with room.
_DELTA = 1e-4
_DELTA_PER_BIN = 1e-6
_FACES_PER_BUFFER = 64  # faces per inner buffer: keeps temporaries in L2 cache


def _check_hog_params(orientations, pixels_per_cell, cells_per_block, block_norm,
                      owner="hog_features"):
    orientations = check_positive_int(orientations, "orientations")
    pixels_per_cell = check_pair(pixels_per_cell, "pixels_per_cell", owner)
    cells_per_block = check_pair(cells_per_block, "cells_per_block", owner)
    if block_norm not in BLOCK_NORMS:
        raise ValueError(f"block_norm must be one of {BLOCK_NORMS}; got {block_norm!r}.")
    return orientations, pixels_per_cell, cells_per_block, block_norm


def hog_output_shape(
    image_shape=(FACE_SIZE, FACE_SIZE),
    *,
    orientations=9,
    pixels_per_cell=(8, 8),
    cells_per_block=(2, 2),
):
    """Shape ``(n_blocks_row, n_blocks_col, b_row, b_col, orientations)`` of one descriptor.

    Its product is the number of HOG features per face.

    Examples
    --------
    >>> hog_output_shape((48, 48))
    (5, 5, 2, 2, 9)
    """
    orientations, (c_row, c_col), (b_row, b_col), _ = _check_hog_params(
        orientations, pixels_per_cell, cells_per_block, "L2-Hys"
    )
    h, w = image_shape
    n_blocks_row = h // c_row - b_row + 1
    n_blocks_col = w // c_col - b_col + 1
    if n_blocks_row <= 0 or n_blocks_col <= 0:
        raise ValueError(
            f"Images of {h}x{w} pixels are too small for pixels_per_cell="
            f"{(c_row, c_col)} and cells_per_block={(b_row, b_col)}: they need at "
            f"least {b_row * c_row} rows and {b_col * c_col} columns."
        )
    return (n_blocks_row, n_blocks_col, b_row, b_col, orientations)


def _scatter_add(out, index, values):
    """``np.add.at(out, index, values)`` on 1-D arrays; compiled when Numba is installed."""
    if have_numba():
        jit.call(jit.import_kernels("fer_classic.features._hog_kernels").scatter_add,
                 out, index, values)
    else:
        np.add.at(out, index, values)


@functools.lru_cache(maxsize=32)
def _cell_index(h, w, c_row, c_col):
    """Cell id of every pixel (row-major); ``n_cells`` for pixels in no cell.

    Cell ``(i, j)`` holds rows ``[i * c_row, (i + 1) * c_row)`` and columns
    ``[j * c_col, (j + 1) * c_col)``; the remainder rows and columns that do
    not fill a whole cell belong to no cell.
    """
    n_cells_row, n_cells_col = h // c_row, w // c_col
    n_cells = n_cells_row * n_cells_col
    row_cell = np.arange(h) // c_row
    col_cell = np.arange(w) // c_col
    index = row_cell[:, None] * n_cells_col + col_cell[None, :]
    index[(row_cell[:, None] >= n_cells_row) | (col_cell[None, :] >= n_cells_col)] = n_cells
    index = index.ravel()
    index.flags.writeable = False
    return index, n_cells


@functools.lru_cache(maxsize=32)
def _bincount_base(m, h, w, c_row, c_col, orientations):
    """Offset of ``(face, cell)`` in the flat ``bincount`` output, per pixel."""
    cell, n_cells = _cell_index(h, w, c_row, c_col)
    slots = 2 * orientations + 1
    base = (np.arange(m, dtype=np.intp)[:, None] * (n_cells + 1) + cell[None, :]) * slots
    base.flags.writeable = False
    return base, n_cells


@functools.lru_cache(maxsize=None)
def _angle_scale(orientations):
    """float32 factor mapping radians to bins, with ``float32(pi) * scale == n`` exactly.

    ``atan2`` returns exactly ``+-float32(pi)`` for a horizontal gradient
    pointing left; this makes such pixels land exactly on slot ``0`` or
    ``2 * orientations`` (both bin 0), never next to it.
    """
    pi32 = np.float32(np.pi)
    target = np.float32(orientations)
    scale = np.float32(orientations / np.pi)
    for _ in range(64):
        prod = pi32 * scale
        if prod == target:
            return scale
        scale = np.nextafter(scale, np.float32(np.inf) if prod < target else np.float32(0))
    raise RuntimeError(f"no float32 angle scale for {orientations} orientations")


@functools.lru_cache(maxsize=32)
def _bin_edges(orientations):
    """Interior bin edges in degrees, rounded to float32 like scikit-image's C ``float``."""
    return np.array(
        [np.float32(180.0 / orientations * i) for i in range(1, orientations)], dtype=np.float64
    )


def _exact_bins(g_row, g_col, orientations):
    """Orientation bins exactly as scikit-image computes them (float64).

    Returns ``orientations`` (no bin: scikit-image drops the pixel) for the
    pathological angles that round to 180 degrees.
    """
    theta = np.arctan2(g_row.astype(np.float64), g_col.astype(np.float64)) * (180 / np.pi) % 180
    bins = np.searchsorted(_bin_edges(orientations), theta, side="right")
    bins[theta >= np.float32(180.0)] = orientations
    return bins


@functools.lru_cache(maxsize=32)
def _axis_bins(orientations):
    """Exact bins of the 90, 45 and 135 degree directions.

    Integer images have many gradients with ``g_col == 0`` or
    ``|g_row| == |g_col|``; these sit on bin edges when ``orientations`` is
    even, and scikit-image's angle for them does not depend on the
    magnitude, so they are binned from these three values.
    """
    g_row = np.array([1.0, 1.0, 1.0])
    g_col = np.array([0.0, 1.0, -1.0])
    return tuple(int(b) for b in _exact_bins(g_row, g_col, orientations))


def _rebin_ambiguous(g_row, g_col, orientations):
    """Exact bins of pixels near a bin edge (``g_row != 0``)."""
    bins = np.empty(len(g_row), dtype=np.intp)
    vertical = g_col == 0
    diagonal = g_row == g_col
    anti = g_row == -g_col
    bins[vertical], bins[diagonal], bins[anti] = _axis_bins(orientations)
    rest = np.flatnonzero(~(vertical | diagonal | anti))
    if len(rest):
        bins[rest] = _exact_bins(g_row[rest], g_col[rest], orientations)
    return bins


def _iter_cell_histograms(faces, orientations, c_row, c_col, transform_sqrt):
    """Yield ``(start, hist)`` per group of faces, ``hist`` of shape
    ``(m, n_cells_row, n_cells_col, orientations)`` (float32, cell averages).

    ``faces`` is any numeric ``(n, h, w)`` stack; each group of faces is cast
    to float32 buffers that stay in cache. ``hist`` is a scratch buffer,
    overwritten by the next group.
    """
    n, h, w = faces.shape
    n_orient = orientations
    m_max = min(n, _FACES_PER_BUFFER)
    base, n_cells = _bincount_base(m_max, h, w, c_row, c_col, n_orient)
    slots = 2 * n_orient + 1
    acc = np.empty(m_max * (n_cells + 1) * slots, dtype=np.float32)
    # Slot k is bin k mod n; scikit-image averages over the cell's pixels.
    fold = np.zeros((slots, n_orient), dtype=np.float32)
    fold[np.arange(slots), np.arange(slots) % n_orient] = 1.0 / (c_row * c_col)

    # Scratch buffers, reused for every group of faces.
    img = np.empty((m_max, h, w), dtype=np.float32)
    g_row = np.zeros((m_max, h, w), dtype=np.float32)  # border rows stay 0
    g_col = np.empty((m_max, h, w), dtype=np.float32)
    mag = np.empty((m_max, h, w), dtype=np.float32)
    tmp = np.empty((m_max, h, w), dtype=np.float32)
    b_hi = np.empty((m_max, h, w), dtype=np.int32)
    b_lo = np.empty((m_max, h, w), dtype=np.int32)
    flag = np.empty((m_max, h, w), dtype=bool)
    flag2 = np.empty((m_max, h, w), dtype=bool)
    index = np.empty((m_max, h * w), dtype=np.intp)
    scale = _angle_scale(n_orient)
    delta = _DELTA + _DELTA_PER_BIN * n_orient
    hi_shift = np.float32(n_orient + delta)
    lo_shift = np.float32(n_orient - delta)

    for start in range(0, n, m_max):
        m = min(m_max, n - start)
        x, gr, gc, mg, tp = img[:m], g_row[:m], g_col[:m], mag[:m], tmp[:m]
        bh, bl, fl, fl2, idx = b_hi[:m], b_lo[:m], flag[:m], flag2[:m], index[:m]
        np.copyto(x, faces[start : start + m], casting="unsafe")
        if transform_sqrt:
            np.sqrt(x, out=x)

        # Gradients, scikit-image style: zero on the border rows / columns.
        np.subtract(x[:, 2:], x[:, :-2], out=gr[:, 1:-1])
        gcf, xf = gc.reshape(m, h * w), x.reshape(m, h * w)
        np.subtract(xf[:, 2:], xf[:, :-2], out=gcf[:, 1:-1])
        gc[:, :, 0] = 0
        gc[:, :, -1] = 0

        np.multiply(gr, gr, out=mg)
        np.multiply(gc, gc, out=tp)
        mg += tp
        np.sqrt(mg, out=mg)

        # Orientation bins. t = atan2 * n / pi lies in [-n, n]; u = t + n in
        # [0, 2n]; slot floor(u) means bin floor(u) mod n, folded on the
        # histograms below. A pixel is ambiguous when u -+ delta truncate to
        # different slots; a horizontal gradient (g_row == 0) is exactly
        # bin 0 (u is exactly 0, n or 2n) and never ambiguous.
        np.arctan2(gr, gc, out=tp)
        tp *= scale
        np.add(tp, hi_shift, out=bh, casting="unsafe")
        np.add(tp, lo_shift, out=bl, casting="unsafe")
        np.not_equal(bh, bl, out=fl)
        np.not_equal(gr, 0, out=fl2)
        fl &= fl2
        np.add(bh.reshape(m, h * w), base[:m], out=idx)
        if fl.any():
            amb = np.flatnonzero(fl)
            exact = _rebin_ambiguous(gr.reshape(-1)[amb], gc.reshape(-1)[amb], n_orient)
            mg.reshape(-1)[amb[exact == n_orient]] = 0  # pixels scikit-image drops
            idx.reshape(-1)[amb] += exact - bh.reshape(-1)[amb]

        # Cell sums: votes accumulated per (face, cell, slot) in float32 (as
        # scikit-image's C float accumulator), then the slots folded to bins
        # and divided by the cell area in one small matrix product.
        votes = acc[: m * (n_cells + 1) * slots]
        votes[:] = 0
        _scatter_add(votes, idx.reshape(-1), mg.reshape(-1))
        out = np.matmul(votes.reshape(m * (n_cells + 1), slots), fold).reshape(
            m, n_cells + 1, n_orient
        )[:, :n_cells]
        yield start, out.reshape(m, h // c_row, w // c_col, n_orient)


def _normalize_blocks(hist, b_row, b_col, block_norm, out):
    """Group cells into overlapping blocks and normalise each block into ``out``.

    ``out`` has shape ``(n, n_blocks_row * n_blocks_col * b_row * b_col * n)``
    and receives scikit-image's ``(block_row, block_col, cell_row, cell_col,
    orientation)`` order.
    """
    n, n_cells_row, n_cells_col, orientations = hist.shape
    n_blocks_row = n_cells_row - b_row + 1
    n_blocks_col = n_cells_col - b_col + 1
    windows = sliding_window_view(hist, (b_row, b_col), axis=(1, 2))
    np.copyto(
        out.reshape(n, n_blocks_row, n_blocks_col, b_row, b_col, orientations),
        windows.transpose(0, 1, 2, 4, 5, 3),
    )
    blocks = out.reshape(n, n_blocks_row * n_blocks_col, -1)
    if block_norm in ("L1", "L1-sqrt"):
        norm = np.einsum("nbk->nb", blocks)[..., None]  # histograms are >= 0
        norm += np.float32(_EPS)
        blocks /= norm
        if block_norm == "L1-sqrt":
            np.sqrt(blocks, out=blocks)
    else:
        norm = np.einsum("nbk,nbk->nb", blocks, blocks)[..., None]
        norm += np.float32(_EPS**2)
        np.sqrt(norm, out=norm)
        blocks /= norm
        if block_norm == "L2-Hys":
            np.minimum(blocks, np.float32(0.2), out=blocks)
            norm = np.einsum("nbk,nbk->nb", blocks, blocks)[..., None]
            norm += np.float32(_EPS**2)
            np.sqrt(norm, out=norm)
            blocks /= norm
    return out


def _check_stack(faces):
    """Validated ``(n, h, w)`` stack of any image size; flat rows are 48x48 faces."""
    try:
        arr = np.asarray(faces)
    except Exception:  # ragged input: let check_faces word the error
        arr = faces
    shape = arr.shape[1:] if getattr(arr, "ndim", 0) == 3 else (FACE_SIZE, FACE_SIZE)
    # normalised gradient histograms do not depend on the intensity scale
    return check_face_values(arr, image_shape=shape, name="faces", any_floats=True)


def hog_features(
    faces,
    *,
    orientations=9,
    pixels_per_cell=(8, 8),
    cells_per_block=(2, 2),
    block_norm="L2-Hys",
    transform_sqrt=False,
):
    """HOG descriptors of a stack of grayscale faces, all at once.

    Equal, face by face, to ``skimage.feature.hog(face.astype(np.float32),
    orientations, pixels_per_cell, cells_per_block, block_norm,
    transform_sqrt=transform_sqrt, feature_vector=True)`` up to float32
    rounding (the tests check a maximum absolute difference below 1e-5).

    Parameters
    ----------
    faces : array-like of shape (n, h, w) or (n, 2304)
        Grayscale images, any numeric dtype (used as float32). Flat rows are
        read as 48x48 faces; a 3-D stack may have any image size.
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Cell size ``(rows, cols)`` in pixels.
    cells_per_block : int or (int, int), default=(2, 2)
        Block size ``(rows, cols)`` in cells; blocks slide by one cell.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalisation, as in :func:`skimage.feature.hog`.
    transform_sqrt : bool, default=False
        Take the square root of the pixel values first (gamma compression);
        needs non-negative pixels.

    Returns
    -------
    features : ndarray of shape (n, n_features), float32
        ``n_features = prod(hog_output_shape(...))``, ordered like
        scikit-image's flattened ``(block_row, block_col, cell_row, cell_col,
        orientation)`` array.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, (3, 48, 48))
    >>> hog_features(faces).shape
    (3, 900)
    """
    orientations, (c_row, c_col), (b_row, b_col), block_norm = _check_hog_params(
        orientations, pixels_per_cell, cells_per_block, block_norm
    )
    faces = scale_intensities(_check_stack(faces))
    image_shape = faces.shape[1:]
    shape = hog_output_shape(
        image_shape,
        orientations=orientations,
        pixels_per_cell=(c_row, c_col),
        cells_per_block=(b_row, b_col),
    )
    if transform_sqrt and faces.min() < 0:
        raise ValueError(
            "transform_sqrt=True takes the square root of the pixels, which "
            "needs non-negative values; got a negative pixel."
        )
    out = np.empty((len(faces), int(np.prod(shape))), dtype=np.float32)
    for start, hist in _iter_cell_histograms(faces, orientations, c_row, c_col, transform_sqrt):
        _normalize_blocks(hist, b_row, b_col, block_norm, out[start : start + len(hist)])
    return out


class HOG(FaceTransformer):
    """Histogram-of-oriented-gradients features of faces (48x48 by default).

    A stateless transformer over :func:`hog_features`; ``transform`` splits the
    stack into chunks run in ``n_jobs`` threads.

    Parameters
    ----------
    orientations : int, default=9
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : int or (int, int), default=(8, 8)
        Cell size in pixels.
    cells_per_block : int or (int, int), default=(2, 2)
        Block size in cells.
    block_norm : {'L1', 'L1-sqrt', 'L2', 'L2-Hys'}, default='L2-Hys'
        Block normalisation.
    transform_sqrt : bool, default=False
        Square-root (gamma) compression of the pixels first.
    n_jobs : int or None, default=None
        Threads for ``transform`` (``None``: 1, ``-1``: all cores).
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
    n_features_out_ : int
        Number of HOG features per face (900 with the defaults).
    output_shape_ : tuple of int
        ``(n_blocks_row, n_blocks_col, b_row, b_col, orientations)``.

    Notes
    -----
    Each row equals ``skimage.feature.hog(face.astype(np.float32), ...,
    feature_vector=True)`` with the same parameters, up to float32 rounding
    (maximum absolute difference below 1e-5).

    Faces are uint8 in 0..255 or floats, which are read times 255 (floats
    in [0, 1] are intensities). As the blocks are normalised, the features
    do not depend on the intensity scale, so floats of any finite value are
    accepted (negative ones not with ``transform_sqrt``).

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48))
    >>> HOG().fit_transform(faces).shape
    (4, 900)
    """

    _parameter_constraints = {
        "orientations": [Interval(Integral, 1, None, closed="left")],
        "pixels_per_cell": PAIR_CONSTRAINT,
        "cells_per_block": PAIR_CONSTRAINT,
        "block_norm": [StrOptions(set(BLOCK_NORMS))],
        "transform_sqrt": ["boolean"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "image_shape": [tuple],
    }

    def __init__(
        self,
        orientations=9,
        pixels_per_cell=(8, 8),
        cells_per_block=(2, 2),
        block_norm="L2-Hys",
        transform_sqrt=False,
        n_jobs=None,
        *,
        image_shape=(48, 48),
    ):
        self.orientations = orientations
        self.pixels_per_cell = pixels_per_cell
        self.cells_per_block = cells_per_block
        self.block_norm = block_norm
        self.transform_sqrt = transform_sqrt
        self.n_jobs = n_jobs
        self.image_shape = image_shape

    def _any_floats(self):
        return True  # normalised blocks: any scale gives the same features

    def _hog_params(self):
        name = type(self).__name__
        return dict(
            orientations=self.orientations,
            pixels_per_cell=check_pair(self.pixels_per_cell, "pixels_per_cell", name),
            cells_per_block=check_pair(self.cells_per_block, "cells_per_block", name),
            block_norm=self.block_norm,
            transform_sqrt=self.transform_sqrt,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Validate the parameters and ``X``; nothing is learnt.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``.
        y : ignored

        Returns
        -------
        self : HOG
        """
        params = self._hog_params()
        self._check_faces(X, reset=True)
        self.output_shape_ = hog_output_shape(
            self.image_shape_,
            orientations=params["orientations"],
            pixels_per_cell=params["pixels_per_cell"],
            cells_per_block=params["cells_per_block"],
        )
        self.n_features_out_ = int(np.prod(self.output_shape_))
        return self

    def transform(self, X):
        """HOG features of each face.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``.

        Returns
        -------
        features : ndarray of shape (n, n_features_out_), float32
        """
        check_is_fitted(self, "n_features_out_")
        faces = self._check_faces(X, reset=False)
        params = self._hog_params()
        return map_chunks(
            lambda chunk: hog_features(chunk, **params), faces, n_jobs=self.n_jobs
        )

    def get_feature_names_out(self, input_features=None):
        """Names ``hog_b{row}_{col}_c{row}_{col}_o{bin}`` of the output features."""
        check_is_fitted(self, "n_features_out_")
        nbr, nbc, br, bc, no = self.output_shape_
        return np.asarray(
            [
                f"hog_b{i}_{j}_c{k}_{l}_o{o}"
                for i in range(nbr)
                for j in range(nbc)
                for k in range(br)
                for l in range(bc)  # noqa: E741
                for o in range(no)
            ],
            dtype=object,
        )
