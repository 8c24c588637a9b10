"""Time fer_classic's feature extractors against the reference implementations.

Usage::

    python benchmarks/bench_features.py [--data PATH] [--n N] [--ref-n M]
                                        [--n-jobs J] [--repeat R] [--out FILE]

In one run, on the same faces: fer_classic HOG against scikit-image ``hog``
and OpenCV ``HOGDescriptor`` (48x48 window, 16x16 blocks, 8-pixel stride, 8x8
cells, 9 bins: the same geometry), and fer_classic LBP (codes + 6x6 cell
histograms) against scikit-image ``local_binary_pattern`` followed by
``np.histogram`` per cell, and fer_classic dense SIFT (step 2, 4-pixel bins)
against OpenCV ``SIFT.compute`` on the same keypoints. Per-face speed: every
implementation runs on the same first ``--ref-n`` faces (fer_classic with 1
and ``--n-jobs`` threads; OpenCV, which has its own thread pool, with
``cv2.setNumThreads(1)`` and with ``--n-jobs`` threads), best of ``--repeat``
rounds, totals extrapolated. Each reference is compared with fer_classic on as
many threads; the single-threaded scikit-image references with both. Dense
SIFT also runs with ``backend="numpy"`` (no Numba kernels), to show what the
compiled kernels buy. Then fer_classic runs on all faces, and the peak memory
of each such run is measured in a fresh subprocess (``VmHWM``). Differences to
the scikit-image output are measured on the first ``--check-n`` faces. The
markdown tables go to stdout and to ``--out``.

Each comparison is one entry of ``COMPARISONS``: ``(feature, reference
label, reference function, comparable, threaded)``, the fer_classic side
being ``OURS[feature]`` (a label and a ``(faces, n_jobs) -> features``
function); add a new extractor to both.
"""

import argparse
import functools
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "fer2013"
DEFAULT_OUT = REPO / "benchmarks" / "results" / "features.md"
GRID = 6  # LBP histogram cells per side (8x8-pixel cells on 48x48 faces)


# --- fer_classic extractors: (faces, n_jobs) -> features ---------------------


def ours_hog(faces, n_jobs):
    from fer_classic.features import HOG

    return HOG(n_jobs=n_jobs).fit(faces[:1]).transform(faces)


def ours_lbp(faces, n_jobs):
    from fer_classic.features import LBP

    return LBP(P=8, R=1, method="uniform", grid_shape=(GRID, GRID), n_jobs=n_jobs).fit(
        faces[:1]
    ).transform(faces)


def ours_sift(faces, n_jobs, backend="auto"):
    # dense SIFT every 2 pixels, 4-pixel bins (289 keypoints per face), the
    # smoothing that matches OpenCV's (see tests/test_features_sift.py)
    # stored as uint8 (512 x value, the usual compact SIFT storage): 1.3 GB for
    # all of FER2013 instead of 5.3 GB in float32
    from fer_classic.features import dense_sift

    desc, _ = dense_sift(faces, step=2, bin_size=4, smoothing=1.52, dtype="uint8",
                         n_jobs=n_jobs, backend=backend)
    return desc.reshape(len(desc), -1)


def ours_sift_numpy(faces, n_jobs):
    return ours_sift(faces, n_jobs, backend="numpy")


OURS = {"HOG": ("fer_classic HOG", ours_hog), "LBP": ("fer_classic LBP", ours_lbp),
        "SIFT": ("fer_classic dense SIFT", ours_sift),
        "SIFT (NumPy)": ("fer_classic dense SIFT, `backend='numpy'` (no Numba)",
                         ours_sift_numpy)}


# --- references: faces -> features, one face at a time ----------------------


def skimage_hog(faces):
    from skimage.feature import hog

    return np.stack(
        [hog(f, orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2)) for f in faces]
    )


def opencv_hog(faces):
    import cv2

    desc = cv2.HOGDescriptor((48, 48), (16, 16), (8, 8), (8, 8), 9)
    return np.stack([desc.compute(f).ravel() for f in faces])


def _skimage_codes(faces):
    from skimage.feature import local_binary_pattern

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [local_binary_pattern(f, 8, 1, "uniform") for f in faces]


def skimage_lbp_hist(faces):
    step = 48 // GRID
    out = []
    for codes in _skimage_codes(faces):
        cells = [
            np.histogram(codes[i : i + step, j : j + step], bins=10, range=(0, 10))[0]
            for i in range(0, 48, step)
            for j in range(0, 48, step)
        ]
        out.append(np.concatenate(cells) / (step * step))
    return np.array(out, dtype=np.float32)


def skimage_lbp_codes(faces):
    return np.stack(_skimage_codes(faces))


def opencv_sift(faces):
    # OpenCV SIFT.compute on the same 289 keypoints: KeyPoint(col, row,
    # size=bin_size / 1.5, angle=0) has 4-pixel bins like ours
    import cv2

    from fer_classic.features.sift import dense_sift_positions

    pos = dense_sift_positions((48, 48), step=2, bin_size=4)
    kps = [cv2.KeyPoint(float(c), float(r), 4 / 1.5, 0) for r, c in pos]
    sift = cv2.SIFT_create()
    return np.stack([sift.compute(np.ascontiguousarray(f), kps)[1].ravel() for f in faces])


def mean_correlation(ours, ref):
    """Mean Pearson correlation of matched 128-value descriptors."""
    a = ours.reshape(-1, 128).astype(np.float64)
    b = ref.reshape(-1, 128).astype(np.float64)
    a -= a.mean(axis=1, keepdims=True)
    b -= b.mean(axis=1, keepdims=True)
    denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    ok = denom > 0
    return float(np.mean((a[ok] * b[ok]).sum(axis=1) / denom[ok]))


# (feature, reference label, reference function, comparable with ours:
#  True = max abs difference, "corr" = descriptor correlation, False = not comparable,
#  threaded: runs on OpenCV's thread pool, timed with 1 and --n-jobs threads)
COMPARISONS = [
    ("HOG", "scikit-image `hog`", skimage_hog, True, False),
    ("HOG", "OpenCV `HOGDescriptor`", opencv_hog, False, True),
    ("LBP", "scikit-image `local_binary_pattern` + `np.histogram` per cell", skimage_lbp_hist,
     True, False),
    ("LBP", "scikit-image `local_binary_pattern` alone (no histograms)", skimage_lbp_codes, False,
     False),
    ("SIFT", "OpenCV `SIFT.compute` on the same 289 keypoints", opencv_sift, "corr", True),
]


def opencv_threads(n):
    """Set OpenCV's thread pool to ``n`` threads; return the previous setting."""
    import cv2

    before = cv2.getNumThreads()
    cv2.setNumThreads(n)
    return before


# --- data ---------------------------------------------------------------------


def load_faces(path, n):
    """(faces uint8 (n, 48, 48), description)."""
    if Path(path).exists():
        try:
            from fer_classic.datasets import load_fer2013

            faces = load_fer2013(path, verbose=False).images
            source = f"FER2013 via `load_fer2013` ({path})"
        except ImportError:
            import cv2

            files = sorted(glob.glob(os.path.join(path, "*", "*", "*.jpg")))
            faces = np.stack([cv2.imread(f, cv2.IMREAD_GRAYSCALE) for f in files])
            source = f"FER2013 jpgs read with OpenCV ({path})"
    else:
        faces = np.random.default_rng(0).integers(0, 256, (35887, 48, 48), dtype=np.uint8)
        source = f"random faces ({path} not found): timings only"
    faces = np.ascontiguousarray(faces[:n] if n else faces, dtype=np.uint8)
    return faces, source


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                line.split(":", 1)[1].strip() for line in f if line.startswith("model name")
            )
    except (OSError, StopIteration):
        pass
    import cv2
    import skimage
    import sklearn

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {sys.version.split()[0]}, numpy "
        f"{np.__version__}, scikit-image {skimage.__version__}, OpenCV {cv2.__version__}, "
        f"scikit-learn {sklearn.__version__}; load average at start {load}"
    )


# --- measurement --------------------------------------------------------------


def best_time(func, repeat):
    """Best wall-clock time of ``repeat`` runs, with the CPU time of that run."""
    best = None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = func()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        if best is None or wall < best[0]:
            best = (wall, cpu)
    return best + (result,)


_CHILD = """
import json, sys
import numpy as np
sys.path.insert(0, {bench_dir!r})
import bench_features as b
import fer_classic.features
faces = np.load({faces!r})
before = b.rss_kib()["VmRSS"]
b.OURS[{key!r}][1](faces, {n_jobs})
print(json.dumps({{"before_kib": before, "peak_kib": b.rss_kib()["VmHWM"]}}))
"""


def rss_kib():
    """Current (``VmRSS``) and peak (``VmHWM``) resident memory of this process, KiB."""
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                out[key] = int(value.split()[0])
    return out


def peak_memory(key, faces_file, n_jobs):
    """Peak RSS (MiB) of a fresh process running one extractor, and the part it added."""
    code = _CHILD.format(
        bench_dir=str(Path(__file__).resolve().parent), faces=faces_file, key=key, n_jobs=n_jobs
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    info = json.loads(out.strip().splitlines()[-1])
    return info["peak_kib"] / 1024, (info["peak_kib"] - info["before_kib"]) / 1024


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="FER2013 folder or CSV")
    parser.add_argument("--n", type=int, default=0, help="use only the first N faces")
    parser.add_argument("--ref-n", type=int, default=2000, help="faces in the timed subset")
    parser.add_argument("--n-jobs", type=int, default=2, help="threads for the parallel run")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (best kept)")
    parser.add_argument("--check-n", type=int, default=300, help="faces compared with skimage")
    parser.add_argument("--out", default=str(DEFAULT_OUT), help="markdown output file")
    args = parser.parse_args(argv)

    desc = machine()
    faces, source = load_faces(args.data, args.n)
    n = len(faces)
    sub = faces[: min(args.ref_n, n)]
    sample = faces[: min(args.check_n, n)]
    print(f"{n} faces from {source}", file=sys.stderr)

    # 1. Per-face speed: every implementation on the same subset, best of
    #    --repeat rounds. Each round times every implementation once, so that a
    #    busy spell of the (shared) machine slows them all, not just one.
    runs = []  # (row, function of no arguments)
    for key, (label, func) in OURS.items():
        func(sub[:64], 1)  # warm caches (geometry tables, imports, compiled kernels)
        for jobs in (1, args.n_jobs):
            runs.append((dict(feature=key, impl=label, threads=jobs),
                         functools.partial(func, sub, jobs)))
    for key, label, func, comparable, threaded in COMPARISONS:
        func(sub[:10])  # warm up imports
        diff = "n/a (different algorithm)" if key == "HOG" else "n/a (codes, not histograms)"
        if comparable == "corr":
            r = mean_correlation(OURS[key][1](sample, 1), func(sample))
            diff = f"mean descriptor correlation {r:.4f} (first {len(sample)} faces)"
        elif comparable:
            d = np.abs(OURS[key][1](sample, 1) - func(sample)).max()
            diff = f"{d:.1e} (first {len(sample)} faces)"
        for jobs in (1, args.n_jobs) if threaded else (1,):
            runs.append((dict(feature=key, impl=label, threads=jobs, diff=diff, ref=True,
                              threaded=threaded),
                         functools.partial(func, sub)))
    timings = [[] for _ in runs]
    for round_ in range(args.repeat):
        for (row, run), times in zip(runs, timings):
            before = opencv_threads(row["threads"]) if row.get("threaded") else None
            try:
                times.append(best_time(run, 1)[:2])
            finally:
                if before is not None:
                    opencv_threads(before)
        print(f"round {round_ + 1} of {args.repeat} done", file=sys.stderr)
    rows, ours_sub = [], {}
    for (row, _), times in zip(runs, timings):
        wall, cpu = min(times)
        rows.append(dict(row, wall=wall, cpu=cpu))
        if not row.get("ref"):
            ours_sub[row["feature"], row["threads"]] = (wall, cpu)
        print(f"{row['impl']} x{row['threads']}: {wall / len(sub) * 1e3:.4f} ms/face",
              file=sys.stderr)

    # 2. All faces, fer_classic only: measured totals and peak memory.
    full = {}
    with tempfile.TemporaryDirectory() as tmp:
        faces_file = os.path.join(tmp, "faces.npy")
        np.save(faces_file, faces)
        for key, (label, func) in OURS.items():
            for jobs in (1, args.n_jobs):
                wall, cpu, _ = best_time(lambda: func(faces, jobs), min(args.repeat, 3))
                peak, extra = peak_memory(key, faces_file, jobs)
                full[key, jobs] = (wall, cpu, peak, extra)
                print(f"{label} x{jobs}, all faces: {wall:.2f} s", file=sys.stderr)

    m = len(sub)
    lines = [
        "# Feature extraction benchmark",
        "",
        f"Machine: {desc}.",
        "",
        f"Data: {n} faces, {source}.",
        "",
        f"## Speed per face (the first {m} faces, every implementation)",
        "",
        f"Best of {args.repeat} rounds over the same {m} faces, each round timing every "
        "implementation once (a busy spell of the shared machine then slows all of them); "
        "references go one face at "
        "a time, as their API does. Wall clock, and the CPU time of the same run. "
        "Threads: fer_classic's `n_jobs`; for OpenCV, `cv2.setNumThreads` (its own thread "
        "pool; OpenCV's default uses every core). Speed-up: reference time / fer_classic "
        "time on as many threads (wall clock), and by CPU time; scikit-image runs on one "
        f"thread and is compared with fer_classic on 1 / {args.n_jobs} threads. The last "
        "column is the largest absolute difference between fer_classic's features and the "
        "reference's.",
        "",
        f"| feature | implementation | threads | ms / face | CPU ms / face | est. s for "
        f"{n} faces | speed-up of fer_classic | speed-up by CPU time | max abs difference |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        speed = speed_cpu = ""
        if r.get("ref"):
            t = r["threads"]
            if r["threaded"]:
                speed = f"{r['wall'] / ours_sub[r['feature'], t][0]:.1f}x ({t} vs {t} threads)"
            else:
                w1 = ours_sub[r["feature"], 1][0]
                wj = ours_sub[r["feature"], args.n_jobs][0]
                speed = (f"{r['wall'] / w1:.1f}x / {r['wall'] / wj:.1f}x "
                         f"(1 / {args.n_jobs} threads)")
            speed_cpu = f"{r['cpu'] / ours_sub[r['feature'], t][1]:.1f}x"
        lines.append(
            f"| {r['feature']} | {r['impl']} | {r['threads']} | {r['wall'] / m * 1e3:.4f} | "
            f"{r['cpu'] / m * 1e3:.4f} | {r['wall'] / m * n:.2f} | {speed} | {speed_cpu} | "
            f"{r.get('diff', '')} |"
        )
    lines += [
        "",
        f"## All {n} faces, fer_classic",
        "",
        f"Best of {min(args.repeat, 3)} runs. Peak memory: peak RSS in MiB of a fresh "
        "process that loads the faces and runs the extractor; in brackets, the rise over "
        "its resident memory just before the extraction (output plus temporaries).",
        "",
        "| feature | threads | wall s | CPU s | peak MiB |",
        "|---|---|---|---|---|",
    ]
    for (key, jobs), (wall, cpu, peak, extra) in full.items():
        lines.append(f"| {key} | {jobs} | {wall:.2f} | {cpu:.2f} | {peak:.0f} (+{extra:.0f}) |")
    both = full["HOG", args.n_jobs][0] + full["LBP", args.n_jobs][0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    numba_gain = ", ".join(
        f"{ours_sub['SIFT (NumPy)', j][0] / ours_sub['SIFT', j][0]:.1f}x with {j} thread"
        f"{'s' if j > 1 else ''}" for j in (1, args.n_jobs))
    lines += [
        "",
        f"Dense SIFT with the Numba kernels against `backend='numpy'`, per face: {numba_gain} "
        "faster.",
        "",
        f"HOG + LBP with {args.n_jobs} threads: {both:.2f} s for {n} faces. Load average "
        f"at the end: {load}. The machine is shared: wall-clock times, and above all the "
        "gain from threads, depend on what else runs; CPU times much less.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)


if __name__ == "__main__":
    main()
