"""A corpus of bad inputs, through the public API and the command line.

Every place a user hands fer_classic data -- CSV files, image folders,
archives, paths, arrays given to the transformers, command-line values --
gets a clear error naming what was wrong and where (file, row, field), and
the bench exits non-zero with one ``error: ...`` line and writes nothing
that looks like a result. Harmless variants (BOM, CRLF, whitespace, ...)
are accepted. One case per test id.

Unreadable files: the tests run as root in CI, where ``chmod 000`` does not
stop reads, so the chmod case is skipped for root and ``/proc/self/mem``
(a file that exists and whose read fails with EIO, also for root) stands in.
"""

import gzip
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from fer_classic import EMOTIONS
from fer_classic.bench import main
from fer_classic.datasets import (
    FER2013,
    FER2013FormatError,
    load_fer2013,
    make_synthetic_faces,
    write_fer2013_csv,
)
from fer_classic.features import HOG, LBP, DenseSIFT, Pixels
from fer_classic.protocol import run_protocol

N_PER_CLASS = 10  # 56 Training faces (CSV rows 2-57), 7 PublicTest (58-64), 7 PrivateTest (65-71)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("FER2013_PATH", raising=False)
    monkeypatch.setenv("FER_CLASSIC_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def faces():
    return make_synthetic_faces(n_per_class=N_PER_CLASS, random_state=0)


# --------------------------------------------------------------------------
# builders: each returns the path to hand to load_fer2013 / --data


def _csv_lines(faces, tmp):
    text = Path(write_fer2013_csv(faces, tmp / "ref" / "fer2013.csv")).read_text()
    return text.split("\n")  # [header, row 2, row 3, ..., ""]


def _write(tmp, lines, name="fer2013.csv"):
    path = tmp / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(lines if isinstance(lines, bytes) else "\n".join(lines).encode())
    return path


def _edit_row(lines, row, field, func):
    """Apply ``func`` to field ``field`` (0 emotion, 1 pixels, 2 Usage) of CSV line ``row``."""
    fields = lines[row - 1].split(",")
    fields[field] = func(fields[field])
    lines[row - 1] = ",".join(fields)
    return lines


def _replace_pixel(k, value):
    def edit(pixels):
        values = pixels.split(" ")
        values[k - 1] = value
        return " ".join(values)
    return edit


def _folder(faces, tmp, ext=".png"):
    root = tmp / "data" / "fer2013"
    for i, (img, label, split) in enumerate(zip(faces.images, faces.target, faces.split)):
        top = "train" if split == "Training" else "test"
        path = root / top / EMOTIONS[label].lower() / f"{split}_{i:05d}{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        assert cv2.imwrite(str(path), img)
    return root


def _first(root, pattern):
    return sorted(root.glob(pattern))[0]


def _corrupt_jpeg(faces, tmp):
    root = _folder(faces, tmp, ".jpg")
    victim = _first(root, "train/fear/*.jpg")
    victim.write_bytes(victim.read_bytes()[:300])  # truncated mid-scan
    return root


def _big_image(faces, tmp):
    root = _folder(faces, tmp)
    cv2.imwrite(str(_first(root, "train/sad/*.png")), np.full((64, 64), 128, np.uint8))
    return root


def _colour_image(faces, tmp):
    root = _folder(faces, tmp)
    img = np.zeros((48, 48, 3), np.uint8)
    img[..., 2] = 200  # red
    cv2.imwrite(str(_first(root, "test/happy/PublicTest_*.png")), img)
    return root


def _gray_as_bgr(faces, tmp):
    root = _folder(faces, tmp)
    path = _first(root, "train/angry/*.png")
    gray = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(path), cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR))
    return root


def _renamed_emotion(faces, tmp):
    root = _folder(faces, tmp)
    (root / "train" / "happy").rename(root / "train" / "happiness")
    return root


def _uppercase_names(faces, tmp):
    root = _folder(faces, tmp)
    (root / "train").rename(root / "TRAIN")
    (root / "TRAIN" / "happy").rename(root / "TRAIN" / "Happy")
    return root


def _no_prefix(faces, tmp):
    root = _folder(faces, tmp)
    shutil.copy(_first(root, "train/angry/*.png"), root / "train" / "angry" / "img_001.png")
    return root


def _empty_split_folder(faces, tmp):
    root = _folder(faces, tmp)
    for f in root.glob("test/*/PrivateTest_*"):
        f.unlink()
    return root


def _empty_image(faces, tmp):
    root = _folder(faces, tmp)
    (root / "test" / "sad" / "PrivateTest_99999.png").write_bytes(b"")
    return root


def _archive(faces, tmp, kind):
    if kind == "csv.tar.gz":
        member = Path(write_fer2013_csv(faces, tmp / "src" / "fer2013.csv"))
    else:
        member = _folder(faces, tmp)
    out = tmp / f"fer2013.{kind.split('.', 1)[1]}"
    if kind.endswith("zip"):
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(member.rglob("*")):
                z.write(f, f.relative_to(member.parent))
    else:
        with tarfile.open(out, "w:gz") as t:
            t.add(member, arcname=member.name)
    return out


def _unreadable(faces, tmp):
    if os.geteuid() == 0:
        pytest.skip("chmod 000 does not stop root from reading; see the /proc/self/mem case")
    path = Path(write_fer2013_csv(faces, tmp / "data" / "fer2013.csv"))
    path.chmod(0)
    return path


def _proc_self_mem(faces, tmp):
    if not os.path.isfile("/proc/self/mem"):
        pytest.skip("needs Linux /proc")
    return Path("/proc/self/mem")


def _whitespace(lines):
    out = [" emotion , pixels , Usage "]
    for i, line in enumerate(lines[1:-1]):
        emo, pix, use = line.split(",")
        out.append(f" {emo} ,  {pix.replace(' ', '  ')}  , {use}\t")
        if i == 10:
            out.append("   ")  # a blank line
    return out + ["", ""]


def _icml(lines):
    out = ["emotion, Usage, pixels"]
    for line in lines[1:-1]:
        emo, pix, use = line.split(",")
        out.append(f"{emo},{use},{pix}")
    return out + [""]


def _row_cut(lines, row):
    cut = lines[: row - 1]
    return cut + [lines[row - 1][: len(lines[row - 1]) // 2]]  # no newline: cut mid-pixels


# id -> (builder(faces, tmp) -> path, expected exception or None (accepted), message parts)
CSV = {
    "csv-truncated": (lambda L: _row_cut(L, 41), ["row 41", "2 comma-separated field(s)"]),
    "csv-wrong-pixel-count": (
        lambda L: _edit_row(L, 3, 1, lambda p: p.rsplit(" ", 1)[0]),
        ["row 3", "field 'pixels'", "2303 values"]),
    "csv-non-numeric-pixel": (
        lambda L: _edit_row(L, 4, 1, _replace_pixel(10, "abc")),
        ["row 4", "field 'pixels'", "'abc'", "position 10"]),
    "csv-pixel-256": (
        lambda L: _edit_row(L, 5, 1, _replace_pixel(1, "256")),
        ["row 5", "field 'pixels'", "256", "position 1"]),
    "csv-label-7": (lambda L: _edit_row(L, 6, 0, lambda _: "7"),
                    ["row 6", "field 'emotion'", "'7'"]),
    "csv-label-minus-1": (lambda L: _edit_row(L, 7, 0, lambda _: "-1"),
                          ["row 7", "field 'emotion'", "'-1'"]),
    "csv-unknown-split": (lambda L: _edit_row(L, 60, 2, lambda _: "Validation"),
                          ["row 60", "field 'Usage'", "'Validation'"]),
    "csv-missing-column": (lambda L: [",".join(x.split(",")[:2]) for x in L],
                           ["line 1 (header)", "missing column(s) 'Usage'"]),
    "csv-renamed-column": (lambda L: ["label,pixels,Usage"] + L[1:],
                           ["line 1 (header)", "missing column(s) 'emotion'"]),
    "csv-empty-file": (lambda L: [], ["file is empty"]),
    "csv-header-only": (lambda L: L[:1] + [""], ["no data rows"]),
    "csv-empty-split": (lambda L: L[:64] + [""], ["split 'PrivateTest' has no rows"]),
    "csv-extra-field": (lambda L: _edit_row(L, 9, 2, lambda u: u + ",x"),
                        ["row 9", "4 comma-separated field(s)"]),
    "csv-latin1": (lambda L: "\n".join(L).replace("Training", "Tr\xe4ining", 1)
                   .encode("latin-1"), ["not UTF-8"]),
    "csv-is-a-png": (lambda L: cv2.imencode(".png", np.zeros((48, 48), np.uint8))[1].tobytes(),
                     ["not UTF-8"]),
}
CSV_OK = {
    "ok-csv-bom": lambda L: ("\ufeff" + "\n".join(L)).encode(),
    "ok-csv-crlf": lambda L: "\r\n".join(L).encode(),
    "ok-csv-whitespace": _whitespace,
    "ok-csv-icml-header": _icml,
}
OTHER = {
    "folder-corrupt-jpeg": (_corrupt_jpeg, FER2013FormatError,
                            ["train/fear/Training_", "could not decode"]),
    "folder-64x64-image": (_big_image, FER2013FormatError,
                           ["train/sad/Training_", "64x64", "expected 48x48"]),
    "folder-colour-image": (_colour_image, FER2013FormatError,
                            ["test/happy/PublicTest_", "colour image"]),
    "folder-unknown-emotion": (_renamed_emotion, FER2013FormatError,
                               ["train/happiness", "unknown emotion folder"]),
    "folder-no-split-prefix": (_no_prefix, FER2013FormatError,
                               ["img_001.png", "no known split prefix"]),
    "folder-empty-split": (_empty_split_folder, FER2013FormatError,
                           ["split 'PrivateTest' has no images"]),
    "folder-single-split-given": (lambda f, t: _folder(f, t) / "train", FER2013FormatError,
                                  ["single split folder", "parent directory"]),
    "folder-empty-image-file": (_empty_image, FER2013FormatError,
                                ["PrivateTest_99999.png", "could not decode"]),
    "path-missing": (lambda f, t: t / "no" / "such" / "fer2013.csv", FileNotFoundError,
                     ["no/such/fer2013.csv", "does not exist"]),
    "path-empty-dir": (lambda f, t: (t / "empty").mkdir() or t / "empty", FER2013FormatError,
                       ["empty", "neither a FER2013 CSV file"]),
    "archive-zip-of-folder": (lambda f, t: _archive(f, t, "folder.zip"), FER2013FormatError,
                              ["fer2013.zip", "archive"]),
    "archive-tar-gz-of-folder": (lambda f, t: _archive(f, t, "folder.tar.gz"),
                                 FER2013FormatError, ["fer2013.tar.gz", "archive"]),
    "archive-tar-gz-of-csv": (lambda f, t: _archive(f, t, "csv.tar.gz"), FER2013FormatError,
                              ["fer2013.tar.gz", "archive"]),
    "unreadable-chmod-000": (_unreadable, FER2013FormatError, ["fer2013.csv", "could not read"]),
    "unreadable-proc-self-mem": (_proc_self_mem, FER2013FormatError,
                                 ["/mem", "could not read"]),
    "ok-folder-png": (_folder, None, []),
    "ok-folder-gray-stored-as-bgr": (_gray_as_bgr, None, []),
    "ok-folder-names-any-case": (_uppercase_names, None, []),
}

DATA = {}
for _id, (_edit, _parts) in CSV.items():
    DATA[_id] = (lambda f, t, e=_edit: _write(t, e(_csv_lines(f, t))), FER2013FormatError,
                 ["fer2013.csv", *_parts])
for _id, _edit in CSV_OK.items():
    DATA[_id] = (lambda f, t, e=_edit: _write(t, e(_csv_lines(f, t))), None, [])
DATA.update(OTHER)
DATA["ok-csv-gzip"] = (
    lambda f, t: _write(t, gzip.compress("\n".join(_csv_lines(f, t)).encode()),
                        name="fer2013.csv.gz"), None, [])


def test_the_corpus_is_big_enough():
    bad = [k for k, v in DATA.items() if v[1] is not None]
    assert len(bad) >= 20 and len(DATA) - len(bad) >= 5


@pytest.mark.parametrize("case", list(DATA))
def test_data_through_the_api(case, faces, tmp_path):
    build, error, parts = DATA[case]
    path = build(faces, tmp_path)
    if error is None:
        data = load_fer2013(path, cache=False, verbose=False)
        assert len(data) == len(faces)
        # same faces (image folders sort by split, label, name: compare as multisets)
        key = np.lexsort(data.images.reshape(len(data), -1).T)
        ref = np.lexsort(faces.images.reshape(len(faces), -1).T)
        np.testing.assert_array_equal(data.images[key], faces.images[ref])
        np.testing.assert_array_equal(data.target[key], faces.target[ref])
        return
    with pytest.raises(error) as exc:
        load_fer2013(path, cache=False, verbose=False)
    message = str(exc.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, (part, message)


def _only_error_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    errors = [line for line in lines if "error:" in line]
    assert len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize("case", list(DATA))
def test_data_through_the_cli(case, faces, tmp_path, capsys):
    build, error, parts = DATA[case]
    path = build(faces, tmp_path)
    out = tmp_path / "out"
    code = main(["--data", str(path), "--quick", "--pipelines", "lbp-randomforest",
                 "--out", str(out)])
    err = capsys.readouterr().err
    if error is None:
        assert code == 0, err
        assert (out / "results.json").is_file() and (out / "runs/lbp-randomforest.json").is_file()
        return
    assert code == 2
    line = _only_error_line(err)
    assert line.startswith("error: ") and line == err.strip().splitlines()[-1]
    for part in parts:
        assert part in line, (part, line)
    assert not out.exists()  # nothing that looks like a result


def test_bad_data_through_a_real_process(faces, tmp_path):
    """The installed entry point: exit status 2, one error line, no traceback."""
    path = DATA["csv-label-7"][0](faces, tmp_path)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "fer_classic.bench", "--data", str(path),
                           "--out", str(out)], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))
    assert proc.returncode == 2
    line = _only_error_line(proc.stderr)
    assert line == proc.stderr.strip().splitlines()[-1]
    assert "row 6, field 'emotion'" in line and "fer2013.csv" in line
    assert not out.exists()


# --------------------------------------------------------------------------
# command-line values


def _existing_file(tmp):
    (tmp / "a-file").write_text("x")
    return str(tmp / "a-file")


CLI = {
    "seed-too-big": (["--seed", "4294967296"], "seed must be in 0 .. 2**32 - 1"),
    "seed-not-integer": (["--seed", "1.5"], "expected an integer seed, got '1.5'"),
    "n-jobs-minus-2": (["--n-jobs", "-2"], "expected a positive integer or -1, got -2"),
    "n-jobs-zero": (["--n-jobs", "0"], "expected a positive integer or -1, got 0"),
    "pipelines-none-given": (["--pipelines"], "--pipelines: expected at least one argument"),
    "pipelines-unknown": (["--pipelines", "hog-linearsvm", "hog-svm"],
                          "unknown pipeline(s) hog-svm"),
    "data-empty-string": (["--data", ""], "--data: expected a non-empty value"),
    "out-is-a-file": (["--out", _existing_file], "exists and is not a directory"),
    "scheduler-empty-string": (["--scheduler", " "], "--scheduler: expected a non-empty value"),
    "unknown-option": (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    "flag-given-a-value": (["--quick=yes"], "--quick: ignored explicit argument 'yes'"),
}


@pytest.mark.parametrize("case", list(CLI))
def test_bad_command_line_values(case, tmp_path, capsys):
    argv, expected = CLI[case]
    argv = [a(tmp_path) if callable(a) else a for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "out")]
    with pytest.raises(SystemExit) as exc:
        main(["--synthetic", *argv])
    assert exc.value.code == 2
    line = _only_error_line(capsys.readouterr().err)
    assert expected in line, line
    assert not (tmp_path / "out").exists()


def test_fer2013_path_variable_pointing_nowhere(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FER2013_PATH", str(tmp_path / "moved-away"))
    assert main(["--out", str(tmp_path / "out")]) == 2
    line = _only_error_line(capsys.readouterr().err)
    assert "moved-away" in line and "does not exist" in line
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------
# arrays handed to the transformers and to the data container


def _faces(n=3, seed=0):
    # float faces: intensities in [0, 1]
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48)).astype(np.float32) / 255


def _with(value, face):
    X = _faces()
    X[face, 20, 30] = value
    return X


ARRAYS = {
    "nan": (lambda: _with(np.nan, 1), ValueError, ["NaN", "face 1"]),
    "inf": (lambda: _with(-np.inf, 2), ValueError, ["infinity", "face 2"]),
    "47x48": (lambda: _faces()[:, :47], ValueError, ["(n, 48, 48)", "(3, 47, 48)"]),
    "flat-2303": (lambda: _faces().reshape(3, -1)[:, :-1], ValueError, ["(3, 2303)"]),
    "one-face-1d": (lambda: _faces()[0].ravel(), ValueError, ["(2304,)"]),
    "colour-48x48x3": (lambda: np.repeat(_faces()[..., None], 3, axis=3), ValueError,
                       ["(3, 48, 48, 3)", "grayscale"]),
    "empty": (lambda: _faces()[:0], ValueError, ["holds no faces"]),
    # one input contract: uint8 in 0..255 or floats in [0, 1], never a silent rescale
    # (transformers whose features do not depend on the scale, and pixels, take any floats)
    "floats-0-255": (lambda: _faces() * 255, ValueError, ["[0, 1]", "divide by 255"]),
    "floats-minus1-1": (lambda: _faces() * 2 - 1, ValueError, ["[-1, 1]", "[0, 1]"]),
    "int-300": (lambda: np.full((3, 48, 48), 300), ValueError, ["[300, 300]", "0..255"]),
    "strings": (lambda: _faces().astype(int).astype(str), TypeError, ["must hold numbers"]),
    "ragged-list": (lambda: [_faces()[0], _faces()[0][:40]], ValueError,
                    ["could not be read as an array"]),
}
TRANSFORMERS = {"Pixels": Pixels, "HOG": HOG, "LBP": LBP, "DenseSIFT": DenseSIFT}


# DenseSIFT learns the face size in fit (any h x w, by design); transform checks it
FIT_ACCEPTS = {("DenseSIFT", "47x48")}
# HOG, LBP and DenseSIFT features do not depend on the intensity scale, and
# Pixels keeps floats on their scale: they take floats of any finite value
# (tests/test_input_contract.py)
ACCEPTED = {(t, a) for t in ("Pixels", "HOG", "LBP", "DenseSIFT")
            for a in ("floats-0-255", "floats-minus1-1")}
# known gaps, reported to the owner of the module (strict: they fail once fixed)
KNOWN = {}  # (transformer, array) -> reason, for cases known to fail (strict xfail)


def _case(transformer, array):
    reason = KNOWN.get((transformer, array))
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(transformer, array, id=f"{transformer}-{array}", marks=marks)


@pytest.mark.parametrize("transformer, array",
                         [_case(t, a) for t in TRANSFORMERS for a in ARRAYS])
def test_bad_arrays_to_transformers(transformer, array):
    make, error, parts = ARRAYS[array]
    est = TRANSFORMERS[transformer]().fit(_faces(seed=1))
    if (transformer, array) in ACCEPTED:
        assert np.isfinite(est.transform(make())).all()
        assert TRANSFORMERS[transformer]().fit(make()).n_features_in_ == 2304
        return
    calls = [est.transform]
    if (transformer, array) not in FIT_ACCEPTS:
        calls.append(TRANSFORMERS[transformer]().fit)
    for call in calls:
        with pytest.raises(error) as exc:
            call(make())
        for part in parts:
            assert part in str(exc.value), (part, str(exc.value))


CONTAINER = {
    "label-7": (dict(target=[0, 1, 7]), ["labels must be in 0..6", "got 7"]),
    "label-minus-1": (dict(target=[0, -1, 2]), ["labels must be in 0..6", "got -1"]),
    "unknown-split": (dict(split=["Training", "Validation", "PublicTest"]),
                      ["unknown split name(s) ['Validation']"]),
    "pixel-300": (dict(images=np.full((3, 48, 48), 300)), ["8-bit grayscale", "0..255"]),
    "target-length": (dict(target=[0, 1]), ["target must have shape (3,)"]),
}


@pytest.mark.parametrize("case", list(CONTAINER))
def test_bad_arrays_to_the_data_container(case):
    args = dict(images=_faces().astype(np.uint8), target=[0, 1, 2],
                split=["Training", "PublicTest", "PrivateTest"])
    changes, parts = CONTAINER[case]
    args.update(changes)
    with pytest.raises(ValueError) as exc:
        FER2013(**args)
    for part in parts:
        assert part in str(exc.value), (part, str(exc.value))


def test_run_protocol_names_the_missing_split(faces):
    from sklearn.dummy import DummyClassifier
    from sklearn.pipeline import Pipeline

    splits = {s: faces.get_split(s) for s in ("Training", "PublicTest")}
    with pytest.raises(ValueError, match=r"missing \['PrivateTest'\]"):
        run_protocol(Pipeline([("clf", DummyClassifier())]), {}, splits, verbose=False)
