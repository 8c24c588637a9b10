"""Robustness to the pixels users have: PrivateTest accuracy under contrast and brightness changes.

Users bring faces of every contrast: the original ``fer2013.csv`` pixels are
not equalised, our copy of the data is (face by face). This script fits each
named pipeline once by the challenge protocol (grid on PublicTest) in each
of the ``--variants``, side by side: as registered (every registry pipeline
starts with per-face histogram equalisation,
:class:`~fer_classic.features.HistogramEqualization`), without that first
step, and trained on the Training faces plus one copy of each with a
random gamma, contrast and brightness
(:func:`~fer_classic.datasets.jitter_contrast`: gamma 0.5..2, contrast 0.5..1,
offsets up to +-40 grey levels, clipped). Then it scores PrivateTest faces
changed by increasing maps of their grey levels: gamma 0.5 and 2, the
contrast compressed to half its range, and offsets of +40 and -40 grey
levels (clipped to 0..255). The drop from the untouched score is what a
user with other pixels would lose.

Usage::

    python benchmarks/bench_contrast.py --data ../shared/fer2013 \\
        --pipelines hog-rbfsvm --out benchmarks/results/contrast.md
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.pipeline import Pipeline

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_description, peak_memory_mb  # noqa: E402

from fer_classic import SPLITS  # noqa: E402
from fer_classic.datasets import get_cache_dir, jitter_contrast, load_fer2013  # noqa: E402
from fer_classic.features import ContrastJitter, HistogramEqualization  # noqa: E402
from fer_classic.protocol import run_protocol  # noqa: E402
from fer_classic.registry import get_spec  # noqa: E402
from fer_classic.runner import feature_cache_key  # noqa: E402
from fer_classic.significance import mcnemar_test  # noqa: E402
from fer_classic.utils.fileio import atomic_write  # noqa: E402
from fer_classic.utils.progress import log  # noqa: E402


def _gamma(g):
    lut = np.rint(255 * (np.arange(256) / 255.0) ** g).astype(np.uint8)
    return lambda faces: lut[faces]


#: The changes of the PrivateTest faces, by name: increasing maps of 0..255.
CHANGES = {
    "untouched": lambda faces: faces,
    "gamma 0.5": _gamma(0.5),
    "gamma 2": _gamma(2.0),
    "half contrast": lambda faces: (faces.astype(np.int16) // 2 + 64).astype(np.uint8),
    "offset +40": lambda faces: np.clip(faces.astype(np.int16) + 40, 0, 255).astype(np.uint8),
    "offset -40": lambda faces: np.clip(faces.astype(np.int16) - 40, 0, 255).astype(np.uint8),
}


def without_equalization(pipeline):
    """``pipeline`` without its per-face histogram equalisation step, if it has one."""
    return Pipeline([(name, step) for name, step in pipeline.steps
                     if not isinstance(step, HistogramEqualization)])


#: The ways of fitting a pipeline, by name: the label in the table.
VARIANTS = {
    "registered": "(as registered: histogram equalisation)",
    "unequalized": "none (the pixels as given)",
    "contrast-jitter": "contrast jitter in training",
}


def variant_label(name, variant):
    """The table's "first step" cell: the variant, and a registered contrast jitter if any."""
    steps = [step for _, step in get_spec(name).build(0).steps]
    jitter = [step for step in steps if isinstance(step, ContrastJitter)]
    if variant == "registered" and jitter:
        return (f"(as registered: histogram equalisation, after a contrast jitter of "
                f"{jitter[0].p:.0%} of the Training faces)")
    return VARIANTS[variant]


def with_contrast_jitter(splits, data_key, seed):
    """``splits`` with one contrast-jittered copy of each Training face (same label) added."""
    X, y = splits["Training"]
    jittered = jitter_contrast(X, random_state=seed + 1)
    out = dict(splits, Training=(np.concatenate([X, jittered]), np.concatenate([y, y])))
    return out, f"{data_key}-contrast-jitter{seed + 1}"


def measure(name, splits, *, variant, data_key, cache, n_jobs, seed):
    """PrivateTest predictions of one pipeline, fitted in ``variant``, under every change."""
    spec = get_spec(name)
    pipeline = spec.build(seed)
    if variant == "unequalized":
        pipeline = without_equalization(pipeline)
    elif variant == "contrast-jitter":
        splits, data_key = with_contrast_jitter(splits, data_key, seed)
    mirror_train, mirror_test = spec.get_mirror(False)
    result = run_protocol(pipeline, spec.get_grid(False), splits, data_key=data_key,
                          memory=cache, n_jobs=n_jobs, verbose=True, name=name,
                          mirror_train=mirror_train, mirror_test=mirror_test)
    X, y = splits["PrivateTest"]
    predictions = {}
    for change, fn in CHANGES.items():
        predictions[change] = np.asarray(result.predictions["PrivateTest"] if change == "untouched"
                                         else result.estimator.predict(fn(X)))
        log(f"[{name}, {VARIANTS[variant]}] {change}: "
            f"{100 * np.mean(predictions[change] == y):.2f} %")
    return predictions


def table(rows, y):
    n = len(y)
    head = ["Pipeline", "first step", *CHANGES, "largest drop"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, variant, predictions in rows:
        correct = {c: int(np.sum(pred == y)) for c, pred in predictions.items()}
        base = correct["untouched"]
        cells = [f"`{name}`", variant_label(name, variant)]
        for change in CHANGES:
            acc = 100 * correct[change] / n
            if change == "untouched":
                cells.append(f"{acc:.2f}")
                continue
            p = mcnemar_test(y, predictions[change], predictions["untouched"])["pvalue"]
            cells.append(f"{acc:.2f} ({100 * (correct[change] - base) / n:+.2f}"
                         f"{'*' if p < 0.05 else ''})")
        drop = max(base - c for c in correct.values())
        cells.append(f"{100 * drop / n:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


DEFAULT_VARIANTS = ["registered", "unequalized"]

_VARIANT_TEXT = {
    "registered": "as registered (histogram equalisation of each face first)",
    "unequalized": "without that first step (the pixels as given)",
    "contrast-jitter": ("on the Training faces plus a copy of each with a random gamma "
                        "(0.5..2), contrast (0.5..1) and offset (+-40 grey levels, clipped): "
                        "the range of the changes scored below"),
}


def _variants_text(variants):
    texts = [_VARIANT_TEXT[v] for v in variants]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def record(args, rows, y, wall):
    """The Markdown record of the pipelines measured so far."""
    peak = peak_memory_mb()
    done = [name + ("" if v == "registered" else f" ({VARIANTS[v]})") for name, v, _ in rows]
    variants = ("" if args.variants == DEFAULT_VARIANTS
                else " --variants " + " ".join(args.variants))
    lines = [
        "# Contrast robustness: PrivateTest accuracy % under changed pixels",
        "",
        f"- command: `python benchmarks/bench_contrast.py --data {args.data} --pipelines "
        f"{' '.join(args.pipelines)}{variants}" + (f" --out {args.out}`" if args.out else "`"),
        f"- finished: {', '.join(done)} ({len(done)} of "
        f"{len(args.variants) * len(args.pipelines)} fits); "
        f"wall time {wall:.0f} s, "
        f"peak memory {peak:.0f} MB; machine: {machine_description()}",
        f"- {len(y):,} PrivateTest faces; each pipeline fitted once by the protocol (grid on "
        f"PublicTest) {_variants_text(args.variants)}, then "
        "scored on the changed faces (in brackets: the change from the untouched score, "
        "in points). The data copy is already equalised face by face, so the untouched "
        "faces are what an equalising step would give; the changes stand for other pixels.",
        "- `*`: the changed faces' predictions differ significantly from the untouched "
        "ones' (exact McNemar test on the same faces, p < 0.05)",
        "",
        *table(rows, y),
    ]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="FER2013 folder or fer2013.csv")
    p.add_argument("--pipelines", nargs="+", default=["hog-rbfsvm"])
    p.add_argument("--out", help="write the Markdown record here")
    p.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=DEFAULT_VARIANTS,
                   help="ways of fitting each pipeline (default: %(default)s)")
    p.add_argument("--n-jobs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    data = load_fer2013(args.data)
    splits = {s: data.get_split(s) for s in SPLITS}
    data_key = feature_cache_key(data.fingerprint(), False, args.seed)
    cache = Path(get_cache_dir()) / "features"
    rows = []
    for name in args.pipelines:
        for variant in args.variants:
            predictions = measure(name, splits, variant=variant, data_key=data_key,
                                  cache=cache, n_jobs=args.n_jobs, seed=args.seed)
            rows.append((name, variant, predictions))
            # written after every fit: a long run leaves what it finished
            text = record(args, rows, splits["PrivateTest"][1], time.perf_counter() - t0)
            if args.out:
                with atomic_write(args.out) as f:
                    f.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
