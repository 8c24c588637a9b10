"""Tests for fer_classic.utils.progress: bars on a terminal, plain lines in a log file."""

import io

from fer_classic.utils import progress as progress_module
from fer_classic.utils.progress import LineProgress, progress


def test_line_progress_writes_occasional_plain_lines(capsys):
    bar = LineProgress(total=4, desc="faces", unit="face", interval=0.0)
    with bar:
        for _ in range(4):
            bar.update()
    lines = capsys.readouterr().err.splitlines()
    assert lines[-1].endswith(")") and "faces: 4/4 face done" in lines[-1]
    assert sum("done" in line for line in lines) == 1  # closed once
    assert all("so far" in line for line in lines[:-1]) and len(lines) == 4
    assert LineProgress(range(3), desc="x", disable=True).total == 3
    list(LineProgress(range(3), desc="x", disable=True))
    assert capsys.readouterr().err == ""


def test_progress_is_a_bar_only_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert isinstance(progress(total=3), LineProgress)
    monkeypatch.setattr("sys.stderr", Terminal())
    bar = progress(total=3)
    assert not isinstance(bar, LineProgress)
    bar.close()
    assert progress_module._terminal(Terminal())
