"""Tests for fer_classic.datasets.ferplus (FER+ vote labels)."""

import os
from pathlib import Path

import numpy as np
import pytest

from fer_classic.datasets import FER2013FormatError
from fer_classic.datasets.ferplus import (FERPLUS_CLASSES, ferplus_distribution,
                                          ferplus_majority, read_ferplus)

REAL = Path(os.environ.get("FERPLUS_PATH") or
            Path(__file__).resolve().parents[1].parent / "shared" / "ferplus")
HEADER = ("Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,"
          "contempt,unknown,NF")


def _write(tmp_path, *rows, header=HEADER):
    path = tmp_path / "fer2013new.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_reads_votes_and_applies_the_majority_rule(tmp_path):
    path = _write(tmp_path,
                  "Training,fer0000000.png,4,0,0,1,3,2,0,0,0,0",   # no majority
                  "Training,fer0000001.png,6,0,1,1,0,0,0,0,2,0",   # neutral
                  "PublicTest,,0,0,0,0,0,0,0,0,0,10",              # not a face
                  "PrivateTest,fer0000002.png,0,0,0,0,0,0,0,7,3,0",  # contempt
                  "PrivateTest,fer0000003.png,1,1,1,1,1,1,1,1,1,1")  # only single votes
    votes = read_ferplus(tmp_path)  # a folder holding the file works too
    assert votes.votes.shape == (5, 10) and votes.split.tolist()[2] == "PublicTest"
    assert ferplus_majority(votes).tolist() == [-1, 0, -1, FERPLUS_CLASSES.index("contempt"), -1]
    dist = ferplus_distribution(votes)
    np.testing.assert_allclose(dist[0], np.array([4, 0, 0, 0, 3, 2, 0, 0]) / 9)
    np.testing.assert_allclose(dist[3], np.eye(8)[7])
    assert np.isnan(dist[2]).all() and np.isnan(dist[4]).all()
    assert read_ferplus(path).path == str(path)


@pytest.mark.parametrize("header, row, parts", [
    ("Usage,Image name,neutral", "Training,fer0000000.png,1",
     ["line 1", "expected the header"]),
    (HEADER, "Training,fer0000000.png,1,2,3", ["line 2", "expected 12 fields", "got 5"]),
    (HEADER, "Validation,fer0000000.png,1,0,0,0,0,0,0,0,0,0",
     ["line 2", "field Usage", "'Validation'"]),
    (HEADER, "Training,fer0000000.png,1,0,x,0,0,0,0,0,0,0",
     ["line 2", "field surprise", "0..10", "'x'"]),
    (HEADER, "Training,fer0000000.png,1,0,0,0,0,0,0,0,0,11", ["field NF", "'11'"]),
    (HEADER, "Training,face7.jpg,1,0,0,0,0,0,0,0,0,0",
     ["line 2", "field Image name", "'face7.jpg'"]),
])
def test_bad_label_files_name_the_line_and_field(tmp_path, header, row, parts):
    path = _write(tmp_path, row, header=header)
    with pytest.raises(FER2013FormatError) as exc:
        read_ferplus(path)
    for part in parts + [str(path)]:
        assert part in str(exc.value), (part, str(exc.value))


def test_missing_or_empty_file(tmp_path):
    with pytest.raises(FER2013FormatError, match="does not exist"):
        read_ferplus(tmp_path / "nowhere.csv")
    with pytest.raises(FER2013FormatError, match="no row"):
        read_ferplus(_write(tmp_path))
    with pytest.raises(ValueError, match="shape"):
        ferplus_majority(np.zeros((2, 8)))


@pytest.mark.fer2013
def test_the_real_label_file():
    if not (REAL / "fer2013new.csv").is_file():
        pytest.skip("FER+ labels not found (set FERPLUS_PATH or provide ../shared/ferplus)")
    votes = read_ferplus(REAL)
    assert len(votes.votes) == 35_887
    counts = {s: int(np.sum(votes.split == s)) for s in ("Training", "PublicTest", "PrivateTest")}
    assert counts == {"Training": 28_709, "PublicTest": 3_589, "PrivateTest": 3_589}
    assert (votes.votes.sum(axis=1) == 10).mean() > 0.99  # ten taggers per face
    labels = ferplus_majority(votes)
    kept = labels >= 0
    assert 0.85 < kept.mean() < 1.0  # a few faces are unknown or not faces
    share = np.bincount(labels[kept], minlength=8) / kept.sum()
    # neutral and happiness are the two largest FER+ classes, contempt the smallest
    assert set(np.argsort(share)[-2:]) == {0, 1} and share.argmin() in (5, 7)
    dist = ferplus_distribution(votes)
    np.testing.assert_allclose(np.nansum(dist, axis=1)[kept], 1.0)
