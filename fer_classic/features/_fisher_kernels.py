"""Compiled (Numba) inner loop of sparse Fisher vectors.

:func:`fer_classic.features.fisher.fisher_vector` with a ``posterior_threshold``
keeps, for each descriptor, only its posteriors above that fraction of the
largest (a few of the ``K`` Gaussians) and sums them, and the descriptors and
their squares weighted by them, image by image. :func:`posterior_sums` does
that in one pass over each descriptor's log posteriors, while they are in
cache: the maximum, the exponentials of the kept ones, their normalisation
and the sums. The NumPy path of the same computation (a sparse matrix
product) is the reference the tests hold it to, and the fallback when Numba
is not installed. The kernel releases the GIL, so the threads of
:func:`~fer_classic.utils.parallel.map_chunks` run it in parallel.
"""

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, error_model="numpy")
def posterior_sums(logp, z, m, log_threshold, s0, s1, s2):
    """Add each image's kept posteriors to ``s0`` and their moments to ``s1``, ``s2``.

    Parameters
    ----------
    logp : float32 array (n * m, K)
        Log posteriors of each descriptor, up to a constant per row.
    z : float32 array (n * m, d)
        The descriptors, ``m`` per image, image after image.
    m : int
    log_threshold : float
        Log of the kept fraction of the largest posterior (negative).
    s0 : float32 array (n, K)
    s1, s2 : float32 arrays (n, K, d)
        Sums of the posteriors, and of the posteriors times ``z`` and ``z**2``.
    """
    rows, k = logp.shape
    d = z.shape[1]
    kept = np.empty(k, np.int64)
    value = np.empty(k, np.float32)
    for r in range(rows):
        image = r // m
        top = logp[r, 0]
        for j in range(1, k):
            if logp[r, j] > top:
                top = logp[r, j]
        cut = top + log_threshold
        n_kept = 0
        total = np.float32(0.0)
        for j in range(k):
            if logp[r, j] >= cut:
                e = np.float32(np.exp(logp[r, j] - top))
                kept[n_kept] = j
                value[n_kept] = e
                total += e
                n_kept += 1
        for t in range(n_kept):
            j = kept[t]
            p = value[t] / total
            s0[image, j] += p
            for q in range(d):
                x = z[r, q]
                s1[image, j, q] += p * x
                s2[image, j, q] += p * x * x
