"""Tests for fer_classic.utils.jit (Numba as an optional, process-safe backend)."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from fer_classic.utils import jit

needs_numba = pytest.mark.skipif(not jit.have_numba(), reason="numba is not installed")


def test_resolve_backend():
    assert jit.resolve_backend("numpy") == "numpy"
    assert jit.resolve_backend("auto") == ("numba" if jit.have_numba() else "numpy")
    with pytest.raises(ValueError, match="'auto', 'numba' or 'numpy'"):
        jit.resolve_backend("cuda")


def test_numba_backend_without_numba_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(jit, "have_numba", lambda: False)
    assert jit.resolve_backend("auto") == "numpy"
    with pytest.raises(ValueError, match="pip install numba"):
        jit.resolve_backend("numba")


@needs_numba
def test_a_new_signature_compiles_under_the_lock(monkeypatch):
    import numba

    @numba.njit
    def twice(a, out):
        for i in range(a.shape[0]):
            out[i] = 2 * a[i]

    entered = []
    real_lock = jit.compile_lock

    def recording_lock():
        entered.append(len(twice.overloads))
        return real_lock()

    monkeypatch.setattr(jit, "compile_lock", recording_lock)
    a = np.arange(3, dtype=np.float32)
    out = np.empty_like(a)
    jit.call(twice, a, out)
    jit.call(twice, a, out)  # compiled: no lock
    assert entered == [0]
    jit.call(twice, a.astype(np.float64), out.astype(np.float64))  # another signature
    assert entered == [0, 1]
    np.testing.assert_array_equal(out, 2 * a)


@needs_numba
def test_compile_lock_excludes_other_processes(tmp_path):
    # a second process cannot take the lock while this one holds it
    probe = textwrap.dedent("""
        import fcntl, sys
        from fer_classic.utils import jit
        with open(jit._lock_path(), "a") as h:
            try:
                fcntl.flock(h, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                sys.exit(3)
        sys.exit(0)
    """)
    pytest.importorskip("fcntl")
    with jit.compile_lock():
        held = subprocess.run([sys.executable, "-c", probe])
    free = subprocess.run([sys.executable, "-c", probe])
    assert (held.returncode, free.returncode) == (3, 0)


@needs_numba
@pytest.mark.slow
def test_numba_cache_does_not_grow_from_run_to_run(tmp_path):
    # Each process used to add a cache entry for the dense-SIFT face kernel
    # (a closure over dispatchers, whose pickled form carries a random id):
    # the cache grew with every run and was never hit.
    script = textwrap.dedent("""
        import numpy as np
        from fer_classic.features.sift import dense_sift
        faces = np.random.default_rng(0).integers(0, 256, (2, 40, 40)).astype(np.uint8)
        dense_sift(faces, bin_size=(4, 6), backend="numba")
    """)
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path))
    counts = []
    for _ in range(2):
        subprocess.run([sys.executable, "-c", script], env=env, check=True)
        counts.append(sorted(p.name for p in Path(tmp_path).rglob("*.nbc")))
    assert counts[0] and counts[1] == counts[0]


_HOG_SCRIPT = textwrap.dedent("""
    import hashlib
    import numpy as np
    from fer_classic.features import HOG
    faces = np.random.default_rng(0).integers(0, 256, (4, 48, 48)).astype(np.uint8)
    print(hashlib.sha256(HOG().fit_transform(faces).tobytes()).hexdigest())
""")


@needs_numba
@pytest.mark.parametrize("damage", ["garble", "truncate"])
@pytest.mark.slow
def test_a_damaged_numba_cache_is_rebuilt_with_one_warning(tmp_path, damage):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}

    def run():
        done = subprocess.run([sys.executable, "-c", _HOG_SCRIPT], env=env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip(), done.stderr

    clean, _ = run()
    files = sorted(p for p in (tmp_path / "numba").rglob("*") if p.suffix in (".nbi", ".nbc"))
    assert any(p.suffix == ".nbi" for p in files)
    for p in files:
        p.write_bytes(os.urandom(200) if damage == "garble" else b"")
    rebuilt, err = run()
    assert rebuilt == clean
    warnings = [line for line in err.splitlines() if "damaged Numba cache entry" in line]
    assert warnings and all(line.startswith("fer_classic: warning:") for line in warnings)
    again, err = run()  # the rebuilt entry is read without complaint
    assert again == clean and "damaged" not in err
