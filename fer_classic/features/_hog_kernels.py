"""Compiled (Numba) scatter-add for the cell histograms of :mod:`.hog`.

``np.add.at`` is NumPy's unbuffered scatter-add; this loop computes the same
float32 sums in the same order (bit for bit) several times faster. This module
imports Numba; :mod:`.hog` imports it only when Numba is installed.
"""

import numba


# No fastmath: every slot must receive its votes in index order, as np.add.at
# adds them, so that the sums are bit-identical.
@numba.njit(nogil=True, cache=True)
def scatter_add(out, index, values):
    """``out[index[i]] += values[i]`` for every ``i``, in order (``np.add.at``)."""
    for i in range(index.shape[0]):
        out[index[i]] += values[i]
