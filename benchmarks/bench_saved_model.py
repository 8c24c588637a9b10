"""Saved models as a product: file size, load time, speed on one thread, same predictions.

Usage::

    python benchmarks/bench_saved_model.py --models DIR --runs benchmarks/results/full \\
        [--data ../shared/fer2013] [--pipelines NAME ...] [--n-faces 1000] [--out FILE]

For each model file that ``python -m fer_classic.bench --save-models DIR`` wrote
(``NAME.model`` or ``NAME.joblib``), on one thread (BLAS, OpenCV, Numba):

* its size on disk, and the wall time and memory of ``load_model``;
* the faces per second of ``predict`` on the first ``--n-faces`` PrivateTest
  faces, features and classifier (mirror images included where the pipeline
  averages over them), best of ``--repeat`` after a warm-up call;
* whether those predictions are the ones the bench's model made in memory
  (``private_predictions`` in ``--runs``/runs/NAME.json), face by face.
"""

import argparse
import json
import os
import shlex
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", required=True, help="folder of saved models")
    p.add_argument("--runs", required=True, help="the bench's --out folder that saved them")
    p.add_argument("--data", default=str(REPO.parent / "shared" / "fer2013"))
    p.add_argument("--pipelines", nargs="+", help="model names (default: every file)")
    p.add_argument("--n-faces", type=int, default=1000)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--out", help="write the Markdown table here")
    return p.parse_args(argv)


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # one thread, set before NumPy, OpenCV and Numba start their pools
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS"):
        os.environ[var] = "1"

import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_description, peak_memory_mb, write_record  # noqa: E402

from fer_classic.datasets import load_fer2013  # noqa: E402
from fer_classic.persist import load_model, read_model_info  # noqa: E402


def _rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def measure(path, faces, recorded, repeat):
    info = read_model_info(path)
    before = _rss_mb()
    t0 = time.perf_counter()
    model = load_model(path)
    load_s = time.perf_counter() - t0
    loaded_mb = _rss_mb() - before
    model.predict(faces[:8])  # warm-up: Numba compiles its kernels on the first call
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        pred = model.predict(faces)
        best = min(best, time.perf_counter() - t0)
    same = None if recorded is None else float(np.mean(pred == recorded[:len(faces)]))
    return {"name": path.stem, "format": (info.get("payload") or {}).get("serializer"),
            "mb": path.stat().st_size / 2**20, "load_s": load_s, "loaded_mb": loaded_mb,
            "faces_per_s": len(faces) / best, "same": same, "pred": pred,
            "private": (info.get("scores") or {}).get("PrivateTest", {}).get("accuracy")}


def main(args):
    t_start = time.perf_counter()
    cv2.setNumThreads(1)
    data = load_fer2013(args.data)
    X, y = data.get_split("PrivateTest")
    faces, y = X[:args.n_faces], y[:args.n_faces]
    models = Path(args.models)
    files = sorted(p for p in models.iterdir() if p.suffix in (".model", ".joblib"))
    if args.pipelines:
        files = [p for p in files if p.stem in args.pipelines]
    rows = []
    for path in files:
        run = Path(args.runs) / "runs" / f"{path.stem}.json"
        recorded = None
        if run.exists():
            saved = json.loads(run.read_text()).get("private_predictions")
            recorded = None if saved is None else np.asarray(saved, dtype=int)
        print(f"{path.name} ...", file=sys.stderr, flush=True)
        rows.append(measure(path, faces, recorded, args.repeat))
    lines = [
        f"Saved models on one thread: {len(faces):,} PrivateTest faces per `predict` call "
        "(features and classifier), best of "
        f"{args.repeat} after a warm-up call.",
        "",
        "| model | format | file MB | load s | memory after load MB | faces/s (1 thread) "
        "| same predictions as in memory | PrivateTest acc % (all faces, from the bench) |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        same = "n/a" if r["same"] is None else f"{100 * r['same']:.1f} %"
        acc = "" if r["private"] is None else f"{100 * r['private']:.2f}"
        lines.append(f"| `{r['name']}` | {r['format']} | {r['mb']:.1f} | {r['load_s']:.2f} | "
                     f"{r['loaded_mb']:.0f} | {r['faces_per_s']:.0f} | {same} | {acc} |")
    cmd = "python benchmarks/bench_saved_model.py " + " ".join(
        shlex.quote(a) for a in sys.argv[1:])
    lines += ["", f"Wall time {time.perf_counter() - t_start:.0f} s, peak memory "
              f"{peak_memory_mb():,.0f} MB (largest resident set of this process or its workers).",
              f"Machine: {machine_description()}", f"Command: `{cmd}`", ""]
    write_record("\n".join(lines), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
