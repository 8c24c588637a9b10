"""Local binary patterns (LBP), vectorised over a stack of faces.

:func:`lbp_codes` computes, for a whole ``(n, h, w)`` stack at once, exactly
what :func:`skimage.feature.local_binary_pattern` returns face by face, for
the methods ``'default'``, ``'ror'``, ``'uniform'``, ``'nri_uniform'`` and
``'var'``. It follows scikit-image's conventions to the bit:

* the ``P`` neighbours sit at ``(r + rp_i, c + cp_i)`` with
  ``rp_i = round(-R sin(2 pi i / P), 5)``, ``cp_i = round(R cos(2 pi i / P), 5)``
  and ``R`` rounded to float32 (scikit-image's C ``float``);
* a neighbour's value is the float64 bilinear interpolation
  ``(1 - dr) * ((1 - dc) * tl + dc * tr) + dr * ((1 - dc) * bl + dc * br)``,
  evaluated in that order (so ties in flat regions round the same way), with
  pixels outside the image read as 0;
* bit ``i`` is set when the neighbour is ``>=`` the centre pixel;
* ``'uniform'`` counts the 0/1 changes between consecutive neighbours
  ``0..P-1`` (not wrapping round), as scikit-image does.

Everything is float64 NumPy on small groups of faces laid out in one flat,
zero-padded buffer (each row followed by ``pad`` zero columns, each face by
``pad`` zero rows), so every neighbour is a constant offset in that buffer and
each arithmetic step is one long contiguous loop.

:func:`lbp_histograms` turns codes into per-cell histograms; :class:`LBP` is
the transformer that does both without materialising the code images.
"""

import functools
import math
import numbers
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Hidden, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import FACE_SIZE
from ..utils.parallel import map_chunks
from ..utils.validation import check_faces, check_positive_int
from ._face import (
    N_JOBS_CONSTRAINT,
    PAIR_CONSTRAINT,
    FaceTransformer,
    check_face_values,
    check_pair,
    scale_intensities,
)

__all__ = ["lbp_codes", "lbp_histograms", "lbp_n_bins", "LBP"]

METHODS = ("default", "ror", "uniform", "nri_uniform", "var")
MAX_P = 31  # scikit-image's int32 bit weights overflow beyond this
_FACES_PER_BUFFER = 16  # faces per inner buffer: keeps temporaries in L2 cache
_LUT_MAX_P = 16  # 'ror' / 'nri_uniform' through a 2**P lookup table up to here
_HIST_GROUP = 256  # code images per bincount in lbp_histograms


def _check_lbp_params(P, R, method):
    P = check_positive_int(P, "P")
    if P > MAX_P:
        raise ValueError(f"P must be <= {MAX_P} (scikit-image's bit weights are int32); got {P}.")
    if (
        isinstance(R, bool)
        or not isinstance(R, numbers.Real)
        or not math.isfinite(R)
        or not R > 0
    ):
        raise ValueError(f"R must be a positive finite number; got {R!r}.")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}.")
    return P, float(R), method


def lbp_n_bins(P, method):
    """Number of distinct codes (histogram bins) of an LBP ``method``.

    Examples
    --------
    >>> lbp_n_bins(8, "uniform"), lbp_n_bins(8, "nri_uniform"), lbp_n_bins(8, "default")
    (10, 59, 256)
    """
    if method in ("default", "ror"):
        return 2**P
    if method == "uniform":
        return P + 2
    if method == "nri_uniform":
        return P * (P - 1) + 3
    raise ValueError(f"method={method!r} gives real values, not codes; it has no bins.")


def _code_dtype(P, method):
    n_bins = lbp_n_bins(P, method)
    return np.uint8 if n_bins <= 256 else np.uint16 if n_bins <= 65536 else np.uint32


# ---------------------------------------------------------------------------
# Codes from neighbour bits. ``bits`` is a list of P boolean arrays.


def _default_code(bits, dtype):
    shape = bits[0].shape
    code = np.zeros(shape, dtype=dtype)
    tmp = np.empty(shape, dtype=dtype)
    for i, b in enumerate(bits):
        if dtype == np.uint8:
            np.left_shift(b.view(np.uint8), i, out=tmp)
        else:
            np.copyto(tmp, b)
            tmp <<= i
        code |= tmp
    return code


def _uniform_code(bits, P):
    """Set bits if at most two 0/1 changes along ``bits[0..P-1]``, else ``P + 1``."""
    shape = bits[0].shape
    ones = np.zeros(shape, dtype=np.uint8)
    changes = np.zeros(shape, dtype=np.uint8)
    tmp = np.empty(shape, dtype=bool)
    for i, b in enumerate(bits):
        ones += b.view(np.uint8)
        if i + 1 < P:
            np.not_equal(b, bits[i + 1], out=tmp)
            changes += tmp.view(np.uint8)
    # ones <= P < P + 1: max(ones, (P + 1) * non_uniform), without a mask
    np.greater(changes, 2, out=tmp)
    np.multiply(tmp.view(np.uint8), P + 1, out=changes)
    np.maximum(ones, changes, out=ones)
    return ones


def _nri_uniform_code(bits, P, dtype):
    """scikit-image's non-rotation-invariant uniform codes.

    A uniform pattern (at most two 0/1 changes) with ``0 < ones < P`` is
    coded ``1 + (ones - 1) * P + rot``, where ``rot`` counts right rotations
    from the pattern with its ones at the low end: ``ones - first_zero`` if
    bit 0 is set, else ``P - first_one``. In both cases the first 0 (or 1)
    is the first position ``f`` whose bit differs from bit 0, i.e. one past
    the first change.
    """
    shape = bits[0].shape
    ones = np.zeros(shape, dtype=np.int32)
    changes = np.zeros(shape, dtype=np.int32)
    first = np.full(shape, P, dtype=np.int32)  # one past the first change
    step = np.empty(shape, dtype=np.int32)
    change = np.empty(shape, dtype=bool)
    for i in range(P - 1, -1, -1):  # backwards, so the first change wins
        ones += bits[i]
        if i + 1 < P:
            np.not_equal(bits[i], bits[i + 1], out=change)
            changes += change
            # first = i + 1 where change, else unchanged
            np.subtract(i + 1, first, out=step)
            step *= change
            first += step
    rot = np.where(bits[0], ones - first, P - first)
    code = 1 + (ones - 1) * P + rot
    code = np.where(ones == 0, 0, code)
    code = np.where(ones == P, P * (P - 1) + 1, code)
    code = np.where(changes > 2, P * (P - 1) + 2, code)
    return code.astype(dtype)


def _ror_code(default, P, dtype):
    code = default.astype(np.int64)
    best = code.copy()
    mask = (1 << P) - 1
    for _ in range(1, P):
        code = (code >> 1) | ((code & 1) << (P - 1))
        code &= mask
        np.minimum(best, code, out=best)
    return best.astype(dtype)


@functools.lru_cache(maxsize=8)
def _code_lut(P, method):
    """``lut[default_code]`` is the ``method`` code, for ``P <= 16``."""
    all_codes = np.arange(2**P, dtype=np.int64)
    bits = [((all_codes >> i) & 1).astype(bool) for i in range(P)]
    dtype = _code_dtype(P, method)
    if method == "ror":
        lut = _ror_code(all_codes, P, dtype)
    else:
        lut = _nri_uniform_code(bits, P, dtype)
    lut.flags.writeable = False
    return lut


def _codes_from_bits(bits, P, method):
    dtype = _code_dtype(P, method)
    if method == "uniform":
        return _uniform_code(bits, P)
    if method == "nri_uniform" and P > _LUT_MAX_P:
        return _nri_uniform_code(bits, P, dtype)
    default = _default_code(bits, np.uint8 if P <= 8 else np.uint16 if P <= 16 else np.uint32)
    if method == "default":
        return default.astype(dtype, copy=False)
    if P <= _LUT_MAX_P:
        return np.take(_code_lut(P, method), default)
    return _ror_code(default, P, dtype)


# ---------------------------------------------------------------------------
# Sampling geometry and the flat padded layout.


class _Geometry:
    """Neighbour offsets and interpolation weights for one ``(h, w, P, R)``.

    Flat layout: face ``k``'s pixel ``(r, c)`` sits at
    ``origin + k * period + r * row_len + c``; everything else is 0. A
    neighbour at ``(r + dy, c + dx)`` (``|dy|, |dx| <= pad``) is then the
    constant offset ``dy * row_len + dx``, and reads zeros off the image.

    Bilinear interpolation is split the way scikit-image evaluates it: for
    each distinct fractional column offset ``cp`` a horizontal pass
    ``H = (1 - dc) * I[., c0] + dc * I[., c0 + 1]`` over every row (shared
    by the samples above and below), then, for a fractional row offset,
    ``(1 - dr) * H[r0] + dr * H[r0 + 1]``.
    """

    def __init__(self, h, w, P, R):
        R32 = float(np.float32(R))  # scikit-image takes R as a C float
        angles = 2 * np.pi * np.arange(P, dtype=np.float64) / P
        rp = np.round(-R32 * np.sin(angles), 5)
        cp = np.round(R32 * np.cos(angles), 5)
        self.pad = pad = int(np.ceil(max(np.abs(rp).max(), np.abs(cp).max()))) + 1
        self.h, self.w = h, w
        self.row_len = row_len = w + pad
        self.n_rows = h + pad
        self.period = self.n_rows * row_len
        self.origin = pad * row_len + pad
        rows = np.arange(self.n_rows, dtype=np.float64)
        cols = np.arange(row_len, dtype=np.float64)
        # Horizontal passes, keyed by column offset; computed over the
        # extended range [pad, pad + m * period + 2 * pad * row_len) so that
        # they can be shifted by up to pad rows either way.
        self.hpasses = {}
        self.samples = []
        for i in range(P):
            fr = int(np.floor(rp[i]))
            fc = int(np.floor(cp[i]))
            sample = {"fr": fr, "fc": fc, "hkey": None, "vweights": None}
            if cp[i] != fc:
                c_pos = cols + cp[i]  # as in scikit-image: c + cp[i], then floor
                dc = c_pos - np.floor(c_pos)  # rounding depends on c
                self.hpasses.setdefault(cp[i], (fc, 1 - dc, dc))
                sample["hkey"] = cp[i]
            if rp[i] != fr:
                r_pos = rows + rp[i]
                dr = r_pos - np.floor(r_pos)
                sample["vweights"] = (self._per_row(1 - dr), self._per_row(dr))
            self.samples.append(sample)
        self._ext_weights = {}

    def _per_row(self, values):
        return np.repeat(values, self.row_len)

    def ext_len(self, m):
        return m * self.period + 2 * self.pad * self.row_len

    def hweights(self, key, m):
        """Column weights of a horizontal pass over the extended range for ``m`` faces."""
        n = self.ext_len(m)
        cached = self._ext_weights.get(key)
        if cached is None or len(cached[1]) < n:  # keep only the longest
            fc, w1, w = self.hpasses[key]
            reps = -(-n // self.row_len)
            cached = (fc, np.tile(w1, reps)[:n], np.tile(w, reps)[:n])
            self._ext_weights[key] = cached
        fc, w1, w = cached
        return fc, w1[:n], w[:n]

    def buffer(self, m):
        """A zeroed float64 flat buffer for ``m`` faces."""
        return np.zeros(self.origin + (m + 1) * self.period)

    def faces_view(self, buf, m):
        """``(m, h, w)`` view of the face pixels inside ``buf``."""
        inner = buf[self.origin : self.origin + m * self.period]
        return inner.reshape(m, self.n_rows, self.row_len)[:, : self.h, : self.w]

    def shifted(self, flat, m, offset, base=None):
        """``(m, period)`` view of ``flat`` shifted by ``offset`` from the origin.

        ``base`` is the flat index of ``flat[0]`` in buffer coordinates.
        """
        start = self.origin + offset - (0 if base is None else base)
        return flat[start : start + m * self.period].reshape(m, self.period)


@functools.lru_cache(maxsize=16)
def _geometry(h, w, P, R):
    return _Geometry(h, w, P, R)


class _Workspace:
    """float64 scratch buffers for groups of up to ``m_max`` faces."""

    def __init__(self, geo, m_max):
        self.geo, self.m_max = geo, m_max
        self.buf = geo.buffer(m_max)
        self.hbufs = {key: np.empty(geo.ext_len(m_max)) for key in geo.hpasses}
        self.ext_tmp = np.empty(geo.ext_len(m_max))
        shape = (m_max, geo.period)
        self.value = np.empty(shape)
        self.tmp = np.empty(shape)

    def load(self, faces):
        """Copy a group of faces into the buffer; return ``m``."""
        m = len(faces)
        np.copyto(self.geo.faces_view(self.buf, m), faces, casting="unsafe")
        return m

    def sample_values(self, m):
        """Yield ``(i, values)``: neighbour ``i``'s value at every position.

        Same float64 arithmetic as scikit-image. ``values`` is a view or a
        scratch array, valid until the next step.
        """
        geo, buf, ext_base = self.geo, self.buf, self.geo.pad
        n_ext = geo.ext_len(m)
        for key, hb in self.hbufs.items():
            fc, w1, w = geo.hweights(key, self.m_max)
            a = buf[ext_base + fc : ext_base + fc + n_ext]
            b = buf[ext_base + fc + 1 : ext_base + fc + 1 + n_ext]
            np.multiply(w1[:n_ext], a, out=hb[:n_ext])
            np.multiply(w[:n_ext], b, out=self.ext_tmp[:n_ext])
            hb[:n_ext] += self.ext_tmp[:n_ext]
        val, tm = self.value[:m], self.tmp[:m]
        for i, smp in enumerate(geo.samples):
            fr, fc = smp["fr"], smp["fc"]
            if smp["hkey"] is None:  # integer column offset: raw pixels
                src, src_base, col = buf, None, fc
            else:
                src, src_base, col = self.hbufs[smp["hkey"]], ext_base, 0
            top = geo.shifted(src, m, fr * geo.row_len + col, src_base)
            if smp["vweights"] is None:
                yield i, top
                continue
            w1, w = smp["vweights"]
            bottom = geo.shifted(src, m, (fr + 1) * geo.row_len + col, src_base)
            np.multiply(w1, top, out=val)
            np.multiply(w, bottom, out=tm)
            val += tm
            yield i, val


def _iter_flat_codes(faces, P, R, method):
    """Yield ``(start, codes)`` per group of faces, in the flat padded layout.

    ``codes`` has shape ``(m, period)``; positions in the padding hold
    garbage. It is overwritten by the next group.
    """
    n, h, w = faces.shape
    geo = _geometry(h, w, P, R)
    m_max = min(n, _FACES_PER_BUFFER)
    shape = (m_max, geo.period)
    ws = _Workspace(geo, m_max)
    bits = [np.empty(shape, dtype=bool) for _ in range(P)]
    if method == "var":
        total = np.empty(shape)
        squares = np.empty(shape)
        tmp = np.empty(shape)

    for start in range(0, n, m_max):
        group = faces[start : start + m_max]
        m = ws.load(group)
        if method == "var":
            tot, sq, tm = total[:m], squares[:m], tmp[:m]
            for i, value in ws.sample_values(m):
                if i == 0:
                    np.copyto(tot, value)
                    np.multiply(value, value, out=sq)
                else:
                    tot += value
                    np.multiply(value, value, out=tm)
                    sq += tm
            np.multiply(tot, tot, out=tot)
            tot /= P
            np.subtract(sq, tot, out=sq)
            sq /= P
            sq[sq == 0] = np.nan
            yield start, sq
            continue
        centre = geo.shifted(ws.buf, m, 0)
        for i, value in ws.sample_values(m):
            np.greater_equal(value, centre, out=bits[i][:m])
        yield start, _codes_from_bits([b[:m] for b in bits], P, method)


def lbp_codes(faces, *, P=8, R=1.0, method="uniform"):
    """Local binary pattern code of every pixel of a stack of faces.

    Equal, face by face, to ``skimage.feature.local_binary_pattern(face, P,
    R, method)`` (exactly: same float64 arithmetic, same tie handling).

    Parameters
    ----------
    faces : array-like of shape (n, h, w) or (n, 2304)
        Grayscale images, any numeric dtype (used as float64). Flat rows are
        read as 48x48 faces; a 3-D stack may have any image size.
    P : int, default=8
        Number of circularly symmetric neighbours (1 to 31).
    R : float, default=1.0
        Radius of the circle, in pixels.
    method : {'default', 'ror', 'uniform', 'nri_uniform', 'var'}, default='uniform'
        Code type, as in scikit-image: ``'default'`` the raw ``P``-bit
        pattern; ``'ror'`` its minimum over circular rotations;
        ``'uniform'`` the number of set bits for patterns with at most two
        0/1 changes, ``P + 1`` otherwise; ``'nri_uniform'`` one code per
        uniform pattern (``P * (P - 1) + 3`` codes); ``'var'`` the
        (biased) variance of the ``P`` neighbour values, NaN where it is 0.

    Returns
    -------
    codes : ndarray of shape (n, h, w)
        Unsigned integers (the smallest dtype that holds
        ``lbp_n_bins(P, method) - 1``), or float64 for ``'var'``.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, (2, 48, 48))
    >>> codes = lbp_codes(faces, P=8, R=1, method="uniform")
    >>> codes.shape, codes.dtype, int(codes.max()) <= 9
    ((2, 48, 48), dtype('uint8'), True)
    """
    P, R, method = _check_lbp_params(P, R, method)
    # codes compare intensities, whatever their scale; the variances do not
    faces = scale_intensities(_check_stack(faces, any_floats=method != "var"))
    n, h, w = faces.shape
    geo = _geometry(h, w, P, R)
    dtype = np.float64 if method == "var" else _code_dtype(P, method)
    out = np.empty((n, h, w), dtype=dtype)
    for start, flat in _iter_flat_codes(faces, P, R, method):
        m = len(flat)
        out[start : start + m] = flat.reshape(m, geo.n_rows, geo.row_len)[:, :h, :w]
    return out


def _check_stack(faces, name="faces", intensities=True, any_floats=False):
    """Validated ``(n, h, w)`` stack of any image size; flat rows are 48x48 images."""
    try:
        arr = np.asarray(faces)
    except Exception:  # ragged input: let check_faces word the error
        arr = faces
    shape = arr.shape[1:] if getattr(arr, "ndim", 0) == 3 else (FACE_SIZE, FACE_SIZE)
    if not intensities:
        return check_faces(arr, image_shape=shape, dtype=None, name=name, intensities=False)
    return check_face_values(arr, image_shape=shape, name=name, any_floats=any_floats)


def _check_grid(grid_shape, image_shape, owner="lbp_histograms"):
    gh, gw = check_pair(grid_shape, "grid_shape", owner)
    h, w = image_shape
    if gh > h or gw > w:
        raise ValueError(
            f"grid_shape={(gh, gw)} has more cells than pixels on a side of {h}x{w} images."
        )
    return gh, gw


def _cell_map(h, w, gh, gw, row_len=None, n_rows=None):
    """Key of the cell id of every position (``gh * gw`` for positions in no cell).

    Cell ``(i, j)`` holds the rows ``r`` with ``r * gh // h == i`` and the
    columns ``c`` with ``c * gw // w == j`` (equal cells when they divide
    the image; otherwise sizes differ by at most one pixel). The map and the
    cell areas are stored in ``_CELL_MAPS`` under the returned key.
    """
    row_len = w if row_len is None else row_len
    n_rows = h if n_rows is None else n_rows
    key = (h, w, gh, gw, row_len, n_rows)
    if key not in _CELL_MAPS:
        r = np.arange(n_rows)
        c = np.arange(row_len)
        cell = (r[:, None] * gh // h) * gw + (c[None, :] * gw // w)
        cell[(r[:, None] >= h) | (c[None, :] >= w)] = gh * gw
        cell = cell.ravel().astype(np.intp)
        cell.flags.writeable = False
        areas = np.bincount(cell, minlength=gh * gw + 1)[: gh * gw]
        _CELL_MAPS[key] = (cell, areas)
    return key


@functools.lru_cache(maxsize=16)
def _hist_base(m, cell_key, n_cells, n_bins):
    cell = _CELL_MAPS[cell_key][0]
    base = (np.arange(m, dtype=np.intp)[:, None] * (n_cells + 1) + cell[None, :]) * n_bins
    base.flags.writeable = False
    return base


_CELL_MAPS = {}


def _histograms(codes, cell_key, n_cells, n_bins, normalize):
    """Per-cell histograms of ``codes`` (m, positions); float32 (m, n_cells * n_bins).

    Works through groups of rows small enough that the ``bincount`` output
    stays around 32 MB whatever ``n_bins``.
    """
    m = len(codes)
    _, areas = _CELL_MAPS[cell_key]
    out = np.empty((m, n_cells * n_bins), dtype=np.float32)
    group = max(1, min(_HIST_GROUP, (1 << 22) // ((n_cells + 1) * n_bins)))
    base = _hist_base(min(group, m), cell_key, n_cells, n_bins)
    idx = np.empty(base.shape, dtype=np.intp)
    scale = (1.0 / areas[:, None]).astype(np.float32)
    for start in range(0, m, group):
        part = codes[start : start + group]
        g = len(part)
        np.add(base[:g], part, out=idx[:g], casting="unsafe")
        counts = np.bincount(idx[:g].reshape(-1), minlength=g * (n_cells + 1) * n_bins)
        hist = out[start : start + g].reshape(g, n_cells, n_bins)
        np.copyto(hist, counts.reshape(g, n_cells + 1, n_bins)[:, :n_cells], casting="unsafe")
        if normalize:
            hist *= scale
    return out


def lbp_histograms(codes, *, n_bins, grid_shape=(6, 6), normalize=False):
    """Concatenated per-cell histograms of LBP code images.

    Parameters
    ----------
    codes : array-like of shape (n, h, w) or (n, 2304)
        Integer codes in ``[0, n_bins)``, e.g. from :func:`lbp_codes`.
    n_bins : int
        Number of possible codes (see :func:`lbp_n_bins`).
    grid_shape : int or (int, int), default=(6, 6)
        Cells per column and per row; cell ``(i, j)`` holds the pixels
        ``(r, c)`` with ``r * grid_rows // h == i`` and
        ``c * grid_cols // w == j``.
    normalize : bool, default=False
        Divide each cell's histogram by the cell's pixel count (so it sums
        to 1).

    Returns
    -------
    histograms : ndarray of shape (n, grid_rows * grid_cols * n_bins), float32
        Cell histograms in row-major cell order.

    Examples
    --------
    >>> import numpy as np
    >>> codes = np.zeros((1, 48, 48), dtype=np.uint8)
    >>> h = lbp_histograms(codes, n_bins=10, grid_shape=(6, 6), normalize=True)
    >>> h.shape, float(h.sum())
    ((1, 360), 36.0)
    """
    n_bins = check_positive_int(n_bins, "n_bins")
    codes = _check_stack(codes, name="codes", intensities=False)
    image_shape = codes.shape[1:]
    if not np.issubdtype(codes.dtype, np.integer):
        if not np.array_equal(codes, np.round(codes)):
            raise ValueError("codes must be whole numbers (LBP codes); got fractional values.")
    lo, hi = codes.min(), codes.max()
    if lo < 0 or hi >= n_bins:
        raise ValueError(f"codes must lie in [0, {n_bins}) for n_bins={n_bins}; got [{lo}, {hi}].")
    h, w = image_shape
    gh, gw = _check_grid(grid_shape, image_shape)
    key = _cell_map(h, w, gh, gw)
    return _histograms(codes.reshape(len(codes), -1), key, gh * gw, n_bins, normalize)


class LBP(FaceTransformer):
    """Grid of local-binary-pattern histograms of faces (48x48 by default).

    Computes :func:`lbp_codes` and, per cell of a ``grid_shape`` grid, the
    histogram of the codes, concatenated cell by cell (row-major).

    Parameters
    ----------
    P : int, default=8
        Number of circularly symmetric neighbours (1 to 31).
    R : float, default=1.0
        Radius of the circle in pixels.
    method : {'default', 'ror', 'uniform', 'nri_uniform'}, default='uniform'
        Code type (see :func:`lbp_codes`; ``'var'`` gives real values and
        is not supported here).
    grid_shape : int or (int, int), default=(6, 6)
        Cells per column and per row (at most the pixels on that side).
    normalize : bool, default=True
        Make each cell's histogram sum to 1.
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
    n_bins_ : int
        Histogram bins per cell, ``lbp_n_bins(P, method)``.
    n_features_out_ : int
        ``grid_rows * grid_cols * n_bins_``.

    Notes
    -----
    The codes are exactly scikit-image's ``local_binary_pattern`` codes, and
    each cell histogram exactly ``np.histogram`` of them (divided by the
    cell's pixel count when ``normalize``).

    Faces are uint8 in 0..255 or floats, which are read times 255 (floats
    in [0, 1] are intensities). The codes only compare intensities, so
    floats of any finite value are accepted.

    Examples
    --------
    >>> import numpy as np
    >>> faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48))
    >>> LBP().fit_transform(faces).shape
    (4, 360)
    """

    _max_features = 2**20

    _parameter_constraints = {
        "P": [Interval(Integral, 1, MAX_P, closed="both")],
        "R": [Interval(Real, 0, None, closed="neither")],
        # 'var' is refused in fit with a pointer to lbp_codes
        "method": [
            StrOptions({m for m in METHODS if m != "var"}),
            Hidden(StrOptions({"var"})),
        ],
        "grid_shape": PAIR_CONSTRAINT,
        "normalize": ["boolean"],
        "n_jobs": N_JOBS_CONSTRAINT,
        "image_shape": [tuple],
    }

    def __init__(
        self,
        P=8,
        R=1.0,
        method="uniform",
        grid_shape=(6, 6),
        normalize=True,
        n_jobs=None,
        *,
        image_shape=(48, 48),
    ):
        self.P = P
        self.R = R
        self.method = method
        self.grid_shape = grid_shape
        self.normalize = normalize
        self.n_jobs = n_jobs
        self.image_shape = image_shape

    def _any_floats(self):
        return True  # the codes compare intensities, whatever their scale

    def _validate(self, image_shape=None):
        """``(P, R, method, grid)``; the grid fits ``image_shape`` (default ``image_shape_``)."""
        if self.method == "var":
            raise ValueError(
                "method='var' gives real-valued variances, not codes to histogram; "
                "use lbp_codes(..., method='var') directly."
            )
        P, R, method = _check_lbp_params(self.P, self.R, self.method)
        if image_shape is None:
            image_shape = self.image_shape_
        if min(image_shape) < 0:  # one side comes from the faces: check it once known
            check_pair(self.grid_shape, "grid_shape", type(self).__name__)
            return P, R, method, None
        grid = _check_grid(self.grid_shape, image_shape, owner=type(self).__name__)
        return P, R, method, grid

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
        self : LBP
        """
        self._validate(self._image_shape())
        self._check_faces(X, reset=True)
        P, _, method, (gh, gw) = self._validate()
        n_bins = lbp_n_bins(P, method)
        if gh * gw * n_bins > self._max_features:
            raise ValueError(
                f"LBP(P={P}, method={method!r}) would give {gh * gw * n_bins} features per "
                f"face ({n_bins} codes per cell); use method='uniform' or a smaller P."
            )
        self.n_bins_ = n_bins
        self.n_features_out_ = gh * gw * n_bins
        return self

    def transform(self, X):
        """LBP histograms of each face.

        Parameters
        ----------
        X : array-like of shape (n, h, w) or (n, h * w)
            Faces of shape ``image_shape``.

        Returns
        -------
        features : ndarray of shape (n, n_features_out_), float32
        """
        check_is_fitted(self, "n_features_out_")
        P, R, method, grid = self._validate()
        faces = self._check_faces(X, reset=False)
        return map_chunks(
            lambda chunk: _lbp_features(chunk, P, R, method, grid, bool(self.normalize)),
            faces,
            n_jobs=self.n_jobs,
        )

    def get_feature_names_out(self, input_features=None):
        """Names ``lbp_c{row}_{col}_b{bin}`` of the output features."""
        check_is_fitted(self, "n_features_out_")
        gh, gw = self._validate()[3]
        return np.asarray(
            [
                f"lbp_c{i}_{j}_b{b}"
                for i in range(gh)
                for j in range(gw)
                for b in range(self.n_bins_)
            ],
            dtype=object,
        )


def _lbp_features(faces, P, R, method, grid, normalize):
    """Histogram features straight from the flat code layout (no code images)."""
    n, h, w = faces.shape
    gh, gw = grid
    geo = _geometry(h, w, P, R)
    n_bins = lbp_n_bins(P, method)
    key = _cell_map(h, w, gh, gw, geo.row_len, geo.n_rows)
    out = np.empty((n, gh * gw * n_bins), dtype=np.float32)
    for start, codes in _iter_flat_codes(faces, P, R, method):
        out[start : start + len(codes)] = _histograms(codes, key, gh * gw, n_bins, normalize)
    return out
