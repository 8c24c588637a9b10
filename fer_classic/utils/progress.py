"""Progress reporting: timestamped log lines and tqdm bars on stderr."""

import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar

from tqdm.auto import tqdm

_T0 = time.perf_counter()
_SHOW = ContextVar("fer_classic_show_progress", default=False)


@contextmanager
def show_progress(enabled=True):
    """Context in which long loops inside fer_classic (feature extraction) show bars.

    Estimators stay silent by default; :func:`~fer_classic.protocol.run_protocol`
    turns the bars on when ``verbose``.

    Examples
    --------
    >>> with show_progress():
    ...     progress_enabled()
    True
    >>> progress_enabled()
    False
    """
    token = _SHOW.set(bool(enabled))
    try:
        yield
    finally:
        _SHOW.reset(token)


def progress_enabled():
    """Whether the current context asked for progress bars (:func:`show_progress`)."""
    return _SHOW.get()


def log(message, *, file=None):
    """Print ``message`` to stderr with the seconds elapsed since import."""
    print(f"[{time.perf_counter() - _T0:7.1f}s] {message}", file=file or sys.stderr, flush=True)


def progress(iterable=None, *, total=None, desc=None, disable=False, unit="it"):
    """Wrap ``iterable`` in a tqdm progress bar on stderr (or a bar to ``update``)."""
    return tqdm(iterable, total=total, desc=desc, disable=disable, file=sys.stderr,
                leave=False, dynamic_ncols=True, unit=unit)
