"""Compiled (Numba) float16 -> float32 conversion.

NumPy converts float16 element by element in C (0.3 billion values a second
into a cached block on the 2-core benchmark machine); the loops below are a
handful of integer and float operations per value, which the compiler
vectorises (1 billion a second there). :mod:`.blockwise` uses it
for every block of a float16 matrix that a product reads, and NumPy's cast
(the reference it is tested against, bit for bit) without Numba.
"""

import numba
import numpy as np

#: 2**112: moves a float16 exponent (bias 15), shifted into float32's
#: exponent field, to float32's bias (127); subnormal float16 values become
#: normal float32 values by the same multiplication.
_REBIAS = np.float32(2.0 ** 112)


@numba.njit(nogil=True, cache=True, error_model="numpy", fastmath=True)
def half_to_single(src, dst):
    """Write the float16 values ``src`` (viewed as uint16) into float32 ``dst`` (as uint32).

    Both are 1-d and of the same length. Two branch-free passes, which the
    compiler vectorises: the magnitude of every value (the exponent rebiased
    by a multiplication, subnormals included), then infinities and NaNs (all
    exponent bits set) and the sign.
    """
    single = dst.view(np.float32)
    for i in range(src.shape[0]):
        magnitude = (np.uint32(src[i]) & np.uint32(0x7FFF)) << np.uint32(13)
        single[i] = np.uint32(magnitude).view(np.float32) * _REBIAS
    for i in range(src.shape[0]):
        h = np.uint32(src[i])
        magnitude = (h & np.uint32(0x7FFF)) << np.uint32(13)
        special = np.uint32(magnitude >= np.uint32(0x7C00 << 13))
        bits = (dst[i] * (np.uint32(1) - special)
                + (magnitude | np.uint32(0x7F800000)) * special)
        dst[i] = bits | ((h & np.uint32(0x8000)) << np.uint32(16))
