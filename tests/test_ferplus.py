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


#: FER2013 label id -> FER+ vote column (contempt has no FER2013 label)
_TO_FERPLUS = {0: 4, 1: 5, 2: 6, 3: 1, 4: 3, 5: 2, 6: 0}


@pytest.fixture(scope="module")
def csv_release(tmp_path_factory):
    """A fer2013.csv of synthetic faces and a fer2013new.csv that follows its rows."""
    from fer_classic.datasets import make_synthetic_faces, write_fer2013_csv

    root = tmp_path_factory.mktemp("ferplus-release")
    data = make_synthetic_faces(n_per_class=12, random_state=0)
    write_fer2013_csv(data, root / "fer2013.csv")
    rows = []
    for i, (label, split) in enumerate(zip(data.target, data.split)):
        votes = [0] * 10
        if i % 9 == 4:
            votes[9] = 10  # not a face: dropped
        elif i % 9 == 7:
            votes[0], votes[1], votes[2] = 4, 3, 3  # no majority: dropped
        else:
            votes[_TO_FERPLUS[int(label)]] = 8
            votes[7] = 2  # a little contempt
        rows.append(",".join([split, f"fer{i:07d}.png", *map(str, votes)]))
    labels = root / "fer2013new.csv"
    labels.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return root / "fer2013.csv", labels, data


def test_ferplus_labels_join_the_csv_rows(csv_release, tmp_path):
    from fer_classic.datasets import load_fer2013, with_ferplus_labels

    csv_path, labels, original = csv_release
    data = load_fer2013(csv_path, cache_dir=tmp_path, verbose=False)
    relabelled = with_ferplus_labels(data, labels)
    kept = np.array([i % 9 not in (4, 7) for i in range(len(original))])
    assert len(relabelled) == kept.sum()
    assert relabelled.target_names == FERPLUS_CLASSES
    expected = [_TO_FERPLUS[int(t)] for t in original.target[kept]]
    assert relabelled.target.tolist() == expected
    assert (relabelled.split == original.split[kept]).all()
    assert np.array_equal(relabelled.images, original.images[kept])
    assert relabelled.fingerprint() != data.fingerprint()
    assert relabelled.counts().shape == (8, 3)


def test_ferplus_labels_refuse_what_they_cannot_join(csv_release, tmp_path):
    from fer_classic.datasets import load_fer2013, make_synthetic_faces, with_ferplus_labels

    csv_path, labels, _ = csv_release
    data = load_fer2013(csv_path, cache_dir=tmp_path, verbose=False)
    with pytest.raises(FER2013FormatError, match="has no row order"):
        with_ferplus_labels(make_synthetic_faces(n_per_class=12), labels)
    lines = labels.read_text().splitlines()
    short = tmp_path / "short.csv"
    short.write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(FER2013FormatError, match=r"rows but .* faces: they are not the same"):
        with_ferplus_labels(data, short)
    swapped = tmp_path / "swapped.csv"
    first = lines[1].split(",")
    first[0] = "PrivateTest" if first[0] != "PrivateTest" else "Training"
    swapped.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    with pytest.raises(FER2013FormatError, match=r"swapped.csv, line 2, field Usage"):
        with_ferplus_labels(data, swapped)


@pytest.mark.slow
def test_the_bench_scores_ferplus_labels(csv_release, tmp_path, monkeypatch, capsys):
    import json

    from fer_classic.bench import main

    csv_path, labels, _ = csv_release
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    code = main(["--data", str(csv_path), "--ferplus", str(labels), "--quick", "-q",
                 "--pipelines", "pixels-linearsvm", "sift-bovw-local", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    doc = json.loads((out / "results.json").read_text())
    assert doc["dataset"]["classes"] == list(FERPLUS_CLASSES)
    assert "FER+ labels" in doc["dataset"]["description"]
    for rec in doc["results"]:
        assert np.asarray(rec["private"]["confusion"]).shape == (8, 8)
        assert rec["published"] is None  # the paper's figure is on FER2013's labels
    assert all(p["vs_published"] == {} for p in doc["significance"]["pipelines"].values())
    md = (out / "results.md").read_text()
    assert "Con rec %" in md and "67.484" not in md
    # synthetic faces cannot take FER+ labels: a usage error, no traceback
    capsys.readouterr()
    with pytest.raises(SystemExit) as stop:
        main(["--synthetic", "--ferplus", str(labels), "--out", str(tmp_path / "o2")])
    assert stop.value.code == 2 and "--ferplus needs real faces" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:  # a saved model would name FER2013's classes
        main(["--data", str(csv_path), "--ferplus", str(labels), "--save-models", str(tmp_path)])
    assert stop.value.code == 2 and "--save-models" in capsys.readouterr().err
