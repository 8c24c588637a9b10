"""Tests for fer_classic.utils.memory: a damaged cache entry is rebuilt, in one warning line."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

SCRIPT = textwrap.dedent("""
    import sys, warnings
    import numpy as np
    from joblib import Memory
    from fer_classic.utils.memory import cached_call
    sys.path.insert(0, sys.argv[2])
    from slow_module import double
    warnings.simplefilter("always")
    out = cached_call(Memory(sys.argv[1], verbose=0), double, np.arange(4))
    print(out.tolist())
""")

MODULE = textwrap.dedent("""
    import numpy as np
    def double(x):
        print("computed")
        return 2 * x
""")


def _run(tmp_path):
    (tmp_path / "mod").mkdir(exist_ok=True)
    (tmp_path / "mod" / "slow_module.py").write_text(MODULE)
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "cache"),
                           str(tmp_path / "mod")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines(), proc.stderr


@pytest.mark.parametrize("target, damage", [
    ("func_code.py", b"\xff\xfe not code"),   # read by every call of the function
    ("output.pkl", b"\xff\xfe not a pickle"),
    ("output.pkl", b""),                       # truncated to zero
    ("metadata.json", b"{"),
])
def test_damaged_entry_is_rebuilt_with_one_warning_line(tmp_path, target, damage):
    out, _ = _run(tmp_path)
    assert out == ["computed", "[0, 2, 4, 6]"]
    out, _ = _run(tmp_path)
    assert out == ["[0, 2, 4, 6]"]  # read back
    (path,) = (tmp_path / "cache").rglob(target)
    path.write_bytes(damage)
    out, err = _run(tmp_path)
    assert out[-1] == "[0, 2, 4, 6]"
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) <= 2, err  # the warning and its source line
    if target != "metadata.json":  # joblib reads the results without it
        assert out == ["computed", "[0, 2, 4, 6]"] and "CacheWarning" in err
    out, _ = _run(tmp_path)
    assert out == ["[0, 2, 4, 6]"]  # rebuilt: read back again


def test_no_location_calls_through():
    from joblib import Memory

    from fer_classic.utils.memory import cached_call

    assert cached_call(Memory(None), np.negative, 3) == -3
