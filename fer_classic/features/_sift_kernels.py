"""Compiled (Numba) inner loops of dense SIFT.

:mod:`fer_classic.features.sift` computes dense SIFT in stages: blur,
gradient, magnitude and angle, orientation maps, spatial pooling, then the
gather and normalisation of each keypoint's descriptor. Here each stage is a
plain loop compiled by Numba, simple enough for the compiler to vectorise
(NumPy can express the last three only as fancy indexing or broadcasts with
8-element inner loops), and :func:`face_kernel` runs all of them on one face
at a time, so that the face's temporaries stay in cache.
``benchmarks/bench_features.py`` times this path against the NumPy one
(``backend="numpy"``, a chunk of faces per stage), which stays the reference
and the fallback when Numba is not installed.

All kernels release the GIL (``nogil``), so the threads of
:func:`~fer_classic.utils.parallel.map_chunks` run them in parallel. Kernels
whose loop bounds should be constants (descriptor geometry) are built per
geometry by a cached factory. This module imports Numba; :mod:`.sift`
imports it only when the Numba backend runs.
"""

import functools

import numba
import numpy as np

# fastmath lets the compiler reorder the float32 sums (SIMD reductions);
# error_model="numpy" drops the division-by-zero checks of Python semantics.
_jit = functools.partial(numba.njit, nogil=True, cache=True, fastmath=True,
                         error_model="numpy")


# No fastmath here: every pixel must be the same sum in the same order, so
# that a flat region stays exactly flat (its gradient is 0, not noise).
@numba.njit(nogil=True, cache=True)
def blur(images, kernel, out):
    """Separable convolution of ``(n, h, w)`` images with ``kernel`` on both axes.

    Borders mirror without repeating the edge pixel (``ndimage``'s
    ``'mirror'``, OpenCV's ``BORDER_REFLECT_101``); the kernel radius must
    be below both sides.
    """
    n, h, w = images.shape
    radius = len(kernel) // 2
    padded = np.empty(w + 2 * radius, dtype=np.float32)
    rows = np.empty((h, w), dtype=np.float32)
    for i in range(n):
        for y in range(h):
            for x in range(w):
                padded[radius + x] = images[i, y, x]
            for j in range(radius):
                padded[radius - 1 - j] = images[i, y, j + 1]
                padded[radius + w + j] = images[i, y, w - 2 - j]
            for x in range(w):
                rows[y, x] = 0.0
            for k in range(len(kernel)):
                wk = kernel[k]
                for x in range(w):
                    rows[y, x] += wk * padded[x + k]
        for y in range(h):
            for x in range(w):
                out[i, y, x] = 0.0
            for k in range(len(kernel)):
                yy = y + k - radius
                if yy < 0:
                    yy = -yy
                elif yy >= h:
                    yy = 2 * (h - 1) - yy
                wk = kernel[k]
                for x in range(w):
                    out[i, y, x] += wk * rows[yy, x]


@_jit
def gradient(images, gx, gy):
    """Central differences (one-sided at the border) of ``(n, h, w)`` images.

    ``gx`` is ``dI/dx`` (along columns) and ``gy`` is ``-dI/dy`` (rows
    pointing down, so that angles turn counter-clockwise as displayed):
    the values of ``np.gradient``, with the sign of ``gy`` flipped.
    """
    n, h, w = images.shape
    for i in range(n):
        for y in range(h):
            y0 = max(y - 1, 0)
            y1 = min(y + 1, h - 1)
            sy = np.float32(-1.0) / (y1 - y0)
            for x in range(1, w - 1):
                gx[i, y, x] = np.float32(0.5) * (images[i, y, x + 1] - images[i, y, x - 1])
            gx[i, y, 0] = images[i, y, 1] - images[i, y, 0]
            gx[i, y, w - 1] = images[i, y, w - 1] - images[i, y, w - 2]
            for x in range(w):
                gy[i, y, x] = sy * (images[i, y1, x] - images[i, y0, x])


#: Odd polynomial ``t * (c1 + c3 t^2 + ... + c11 t^10)`` for ``atan(t)`` on
#: ``[0, 1]``: least squares on Chebyshev nodes, reweighted towards the
#: minimax fit; largest error 1e-4 degree (tests/test_features_sift.py).
ATAN_COEFFS = (0.99997722, -0.33262285, 0.19354044, -0.11642652, 0.05264732, -0.01171911)


@_jit
def polar_scatter(gx, gy, out):
    """Orientation maps straight from the gradients, ``(n, h, w, n_o)``.

    Magnitude ``hypot(gx, gy)`` and angle ``atan2(gy, gx)`` in ``[0, 2 pi)``
    (the polynomial :data:`ATAN_COEFFS` on the octant, then reflected); each
    pixel's magnitude is shared linearly between its two nearest orientation
    bins (bin ``k`` centred on ``k * 360 / n_o`` degrees), and every value of
    ``out`` is written. Row by row: a branch-free pass the compiler
    vectorises, then the scatter.
    """
    n, h, w = gx.shape
    no = out.shape[3]
    c1, c3, c5, c7, c9, c11 = ATAN_COEFFS
    half_pi = np.float32(np.pi / 2)
    pi = np.float32(np.pi)
    two_pi = np.float32(2 * np.pi)
    to_bins = np.float32(no / (2 * np.pi))
    mag = np.empty(w, dtype=np.float32)
    turns = np.empty(w, dtype=np.float32)
    for i in range(n):
        for y in range(h):
            for x in range(w):
                dx = gx[i, y, x]
                dy = gy[i, y, x]
                mag[x] = np.sqrt(dx * dx + dy * dy)
                ax = abs(dx)
                ay = abs(dy)
                lo = min(ax, ay)
                hi = max(ax, ay)
                t = lo / max(hi, np.float32(1e-30))
                t2 = t * t
                a = t * (np.float32(c1) + t2 * (np.float32(c3) + t2 * (np.float32(c5) + t2 * (
                    np.float32(c7) + t2 * (np.float32(c9) + t2 * np.float32(c11))))))
                a = half_pi - a if ay > ax else a
                a = pi - a if dx < 0 else a
                a = two_pi - a if dy < 0 else a
                turns[x] = a * to_bins
            for x in range(w):
                for o in range(no):
                    out[i, y, x, o] = 0.0
                o = np.int64(turns[x])
                share = (turns[x] - o) * mag[x]
                if o >= no:
                    o -= no
                if o < 0 or o >= no:
                    o = 0
                o1 = o + 1
                if o1 == no:
                    o1 = 0
                out[i, y, x, o] = mag[x] - share
                out[i, y, x, o1] = share


@functools.lru_cache(maxsize=None)
def pool_kernel(width):
    """Banded weighted sum over axis 1, for rows of ``width`` values.

    ``kernel(maps, weights, start, stop, out)``: ``maps`` is ``(n, h,
    width)``, ``out[i, r] = sum_y weights[r, y] * maps[i, y]`` over the
    band ``[start[r], stop[r])`` (the triangular kernel of a SIFT bin has
    ``2 * bin_size - 1`` non-zero taps out of ``h``): the banded form of
    ``weights @ maps``. ``width`` is a compile-time constant so the inner
    loop unrolls.
    """
    m = int(width)

    @_jit
    def pool(maps, weights, start, stop, out):
        for i in range(maps.shape[0]):
            for r in range(out.shape[1]):
                for j in range(m):
                    out[i, r, j] = 0.0
                for y in range(start[r], stop[r]):
                    wy = weights[r, y]
                    for j in range(m):
                        out[i, r, j] += wy * maps[i, y, j]

    return pool


@functools.lru_cache(maxsize=None)
def describe_kernel(n_bins_spatial, n_orientations):
    """Kernel building normalised descriptors from pooled maps, for one geometry.

    ``kernel(pooled, n_rows, n_cols, key_stride, bin_stride, weights,
    threshold, scale, to_uint8, out)``: ``pooled`` is ``(n, R, C, n_o)``; the
    bins of keypoint ``(a, b)`` sit at pooled rows ``a * key_stride + rb *
    bin_stride`` and columns ``b * key_stride + cb * bin_stride``, each
    weighted by ``weights[rb, cb]``. Each descriptor is then normalised as
    :func:`fer_classic.features.sift._normalise` does it (unit norm, clamp
    at 0.2, unit norm, times ``scale``; zero when its raw norm is at most
    ``threshold``) and written to ``out[i, a * n_cols + b]`` of shape ``(n,
    n_rows * n_cols, nb * nb * n_o)``, rounded half up and saturated at
    255 when ``to_uint8``. One keypoint at a time: its 128 values never leave
    the cache between gathering, normalising and writing. The geometry is a
    compile-time constant so the inner loops unroll.
    """
    nb, no = int(n_bins_spatial), int(n_orientations)
    d = nb * nb * no

    @_jit
    def describe(pooled, n_rows, n_cols, key_stride, bin_stride, weights, threshold, scale,
                 to_uint8, out):
        buf = np.empty(d, dtype=np.float32)
        for i in range(pooled.shape[0]):
            for a in range(n_rows):
                for b in range(n_cols):
                    for rb in range(nb):
                        r = a * key_stride + rb * bin_stride
                        for cb in range(nb):
                            c = b * key_stride + cb * bin_stride
                            w = weights[rb, cb]
                            base = (rb * nb + cb) * no
                            for o in range(no):
                                buf[base + o] = w * pooled[i, r, c, o]
                    sq = np.float32(0.0)
                    for j in range(d):
                        sq += buf[j] * buf[j]
                    norm = np.sqrt(sq)
                    limit = np.float32(0.2) * norm
                    sq = np.float32(0.0)
                    for j in range(d):
                        v = min(buf[j], limit)
                        buf[j] = v
                        sq += v * v
                    factor = np.float32(0.0)
                    if norm > threshold:
                        factor = scale / max(np.sqrt(sq), np.float32(1e-30))
                    k = a * n_cols + b
                    if to_uint8:
                        for j in range(d):
                            out[i, k, j] = np.uint8(min(buf[j] * factor + np.float32(0.5),
                                                        np.float32(255.0)))
                    else:
                        for j in range(d):
                            out[i, k, j] = buf[j] * factor

    return describe


@functools.lru_cache(maxsize=None)
def face_kernel(width, n_bins_spatial, n_orientations):
    """Whole dense SIFT of one scale, one face at a time, for one geometry.

    ``kernel(images, blur_kernel, qr, r_start, r_stop, qc, c_start, c_stop,
    n_rows, n_cols, key_stride, bin_stride, weights, threshold, scale,
    to_uint8, out)`` runs :func:`blur` (skipped when ``blur_kernel`` has one
    tap), :func:`gradient`, :func:`polar_scatter`, the two passes of
    :func:`pool_kernel` (rows ``qr``, then columns ``qc``, with their bands)
    and :func:`describe_kernel` on each face in turn. A face's temporaries
    (its orientation maps are ``h * w * n_o`` floats: 74 KB for 48x48 and 8
    orientations) stay in cache from one stage to the next, where the staged
    path streams a whole chunk of faces through memory at every stage.
    """
    m = int(width) * int(n_orientations)
    pool_rows = pool_kernel(m)
    pool_cols = pool_kernel(n_orientations)
    describe = describe_kernel(n_bins_spatial, n_orientations)
    no = int(n_orientations)

    # Not cached on disk: Numba keys a closure's cache entry by the pickled
    # closure variables, and a pickled dispatcher carries a random id, so every
    # process would compile it again and add one more entry to the index.
    # The kernels it calls are cached; compiling this one costs little.
    @numba.njit(nogil=True, cache=False, fastmath=True, error_model="numpy")
    def run(images, blur_kernel, qr, r_start, r_stop, qc, c_start, c_stop, n_rows, n_cols,
            key_stride, bin_stride, weights, threshold, scale, to_uint8, out):
        n, h, w = images.shape
        n_r = qr.shape[0]
        n_c = qc.shape[0]
        blurred = np.empty((1, h, w), dtype=np.float32)
        gx = np.empty((1, h, w), dtype=np.float32)
        gy = np.empty((1, h, w), dtype=np.float32)
        maps = np.empty((1, h, w, no), dtype=np.float32)
        rows = np.empty((1, n_r, w * no), dtype=np.float32)
        pooled = np.empty((n_r, n_c, no), dtype=np.float32)
        for i in range(n):
            if blur_kernel.shape[0] > 1:
                blur(images[i:i + 1], blur_kernel, blurred)
                gradient(blurred, gx, gy)
            else:
                gradient(images[i:i + 1], gx, gy)
            polar_scatter(gx, gy, maps)
            pool_rows(maps.reshape((1, h, w * no)), qr, r_start, r_stop, rows)
            pool_cols(rows.reshape((n_r, w, no)), qc, c_start, c_stop, pooled)
            describe(pooled.reshape((1, n_r, n_c, no)), n_rows, n_cols, key_stride, bin_stride,
                     weights, threshold, scale, to_uint8, out[i:i + 1])

    return run
