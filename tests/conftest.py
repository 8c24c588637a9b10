"""Shared pytest fixtures for fer_classic."""

import os
from pathlib import Path

import pytest

from fer_classic.datasets import load_fer2013, make_synthetic_faces

REPO_ROOT = Path(__file__).resolve().parents[1]

#: Docstring examples (doctest items, by name) that take more than 5 s, marked slow here
#: since a docstring cannot carry a pytest marker.
SLOW_DOCTESTS = {"fer_classic.protocol.run_protocol"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Mark the docstring examples named in ``SLOW_DOCTESTS`` as slow."""
    for item in items:
        if isinstance(item, pytest.DoctestItem) and item.name in SLOW_DOCTESTS:
            item.add_marker(pytest.mark.slow)


def find_fer2013():
    """Location of the real FER2013 data (``FER2013_PATH`` or ``../shared/fer2013``), or None."""
    env = os.environ.get("FER2013_PATH")
    candidate = Path(env) if env else REPO_ROOT.parent / "shared" / "fer2013"
    return candidate if candidate.exists() else None


@pytest.fixture(scope="session")
def fer2013_path():
    """Path of the real FER2013 data; skips the test when it is absent."""
    path = find_fer2013()
    if path is None:
        pytest.skip("FER2013 data not found (set FER2013_PATH or provide ../shared/fer2013)")
    return path


@pytest.fixture(scope="session")
def fer2013(fer2013_path):
    """The full FER2013 data set, loaded once per session (uses the normal cache)."""
    return load_fer2013(fer2013_path, verbose=False)


@pytest.fixture(scope="session")
def synthetic_faces():
    """140 small synthetic faces (20 per class, 16/2/2 per split); do not modify."""
    return make_synthetic_faces(n_per_class=20, random_state=0)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    """A fresh, empty fer_classic cache directory (also set as FER_CLASSIC_CACHE)."""
    directory = tmp_path / "fer_cache"
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(directory))
    return directory
