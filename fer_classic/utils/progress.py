"""Progress reporting: timestamped log lines and tqdm bars on stderr."""

import sys
import time

from tqdm.auto import tqdm

_T0 = time.perf_counter()


def log(message, *, file=None):
    """Print ``message`` to stderr with the seconds elapsed since import."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {message}", file=file or sys.stderr, flush=True)


def progress(iterable, *, total=None, desc=None, disable=False):
    """Wrap ``iterable`` in a tqdm progress bar on stderr."""
    return tqdm(iterable, total=total, desc=desc, disable=disable, file=sys.stderr,
                leave=False, dynamic_ncols=True)
