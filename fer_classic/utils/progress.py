"""Progress reporting on stderr: timestamped log lines, and progress of long loops.

On a terminal, long loops show tqdm bars (log lines are printed above them).
When stderr is a file or a pipe (a log of a long run), bars would leave
carriage returns and cursor codes in it, so progress is written as plain
log lines instead: at most one every :data:`LINE_INTERVAL` seconds, and one
when it ends.
"""

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


#: Seconds between two progress lines when stderr is not a terminal.
LINE_INTERVAL = 30.0


def _terminal(stream):
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def log(message, *, file=None):
    """Print ``message`` to stderr with the seconds elapsed since import."""
    stream = file or sys.stderr
    line = f"[{time.perf_counter() - _T0:7.1f}s] {message}"
    if _terminal(stream):
        tqdm.write(line, file=stream)  # above any bar, which is then redrawn
        stream.flush()
    else:
        print(line, file=stream, flush=True)


class LineProgress:
    """The part of tqdm's interface fer_classic uses, written as occasional log lines."""

    def __init__(self, iterable=None, *, total=None, desc=None, disable=False, unit="it",
                 interval=None):
        self.iterable, self.total, self.desc, self.unit = iterable, total, desc or "", unit
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            self.total = len(iterable)
        self.disable, self.n = bool(disable), 0
        self.interval = LINE_INTERVAL if interval is None else interval
        self._start = self._last = time.perf_counter()
        self._closed = False

    def _say(self, state):
        if self.disable:
            return
        done = f"{self.n:,}/{self.total:,}" if self.total is not None else f"{self.n:,}"
        seconds = time.perf_counter() - self._start
        rate = f", {self.n / seconds:,.1f} {self.unit}/s" if seconds > 0 and self.n else ""
        log(f"{self.desc}: {done} {self.unit} {state} ({seconds:.0f} s{rate})")

    def update(self, n=1):
        self.n += n
        now = time.perf_counter()
        if now - self._last >= self.interval and (self.total is None or self.n < self.total):
            self._last = now
            self._say("so far")

    def __iter__(self):
        for item in self.iterable:
            yield item
            self.update()
        self.close()

    def close(self):
        if not self._closed:
            self._closed = True
            self._say("done")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def progress(iterable=None, *, total=None, desc=None, disable=False, unit="it"):
    """Progress of a loop on stderr: a tqdm bar on a terminal, else :class:`LineProgress`.

    Wraps ``iterable``, or returns an object to ``update`` (``total`` steps,
    or an open count with ``total=None``).
    """
    if not _terminal(sys.stderr):
        return LineProgress(iterable, total=total, desc=desc, disable=disable, unit=unit)
    return tqdm(iterable, total=total, desc=desc, disable=disable, file=sys.stderr,
                leave=False, dynamic_ncols=True, unit=unit)
