"""Run ``python -m fer_classic.bench`` and record command, wall time, peak memory, machine.

Usage::

    python benchmarks/run_bench.py NAME -- [bench arguments...]

runs the bench with ``--out benchmarks/results/NAME`` and writes
``benchmarks/results/NAME/RUN.md`` with the exact command, the wall time,
the peak resident memory of the bench process (and its children), the
machine, and the results table the bench wrote.
"""

import json
import os
import resource
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import machine_description  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def _cache_mb():
    """Size on disk of the feature cache the bench uses (MB), 0 when it does not exist."""
    from fer_classic.datasets import get_cache_dir

    root = Path(get_cache_dir()) / "features"
    files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []
    return sum(p.stat().st_size for p in files) / 2**20


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    name, rest = argv[0], argv[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    out = RESULTS / name
    cmd = [sys.executable, "-m", "fer_classic.bench", *rest, "--out", str(out)]
    shown = " ".join(["python -m fer_classic.bench", *(shlex.quote(a) for a in rest),
                      f"--out benchmarks/results/{name}"])
    # the machines are shared: say how busy this one was when the run began
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    cache_before = _cache_mb()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    t0 = time.perf_counter()
    code = subprocess.call(cmd)
    wall = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    # a --resume run adds to the record of the runs it resumes; any other run
    # starts a new record (the bench recomputed everything it reports)
    out.mkdir(parents=True, exist_ok=True)  # also when the bench failed before writing
    history_file = out / "invocations.json"
    history = []
    if "--resume" in rest and history_file.exists():
        history = json.loads(history_file.read_text())
    history.append({"command": shown, "started": started, "exit_code": code,
                    "wall_s": round(wall, 1), "peak_mb": round(peak_mb),
                    "load_at_start": None if load is None else round(load, 2),
                    "feature_cache_mb": [round(cache_before), round(_cache_mb())],
                    "machine": machine_description()})
    # records written before invocations kept their machine: it is in RUN.md
    old_record = out / "RUN.md"
    if old_record.exists():
        earlier = [line[len("- machine: "):] for line in old_record.read_text().splitlines()
                   if line.startswith("- machine: ")]
        for h in history:
            if "machine" not in h and len(earlier) == 1:
                h["machine"] = earlier[0]
    history_file.write_text(json.dumps(history, indent=2) + "\n")
    text = write_record(out, name, history)
    print(text)
    return code


def write_record(out, name, history):
    """Write ``out/RUN.md`` for the bench invocations in ``history``; return its text."""
    table = (out / "results.md").read_text() if (out / "results.md").exists() else "(none)"
    lines = [f"# Bench run `{name}`", ""]
    for h in history:
        lines += [
            f"- command: `{h['command']}`",
            f"  - started {h['started']} (UTC), exit code {h['exit_code']}; wall time "
            f"{h['wall_s']:.0f} s ({h['wall_s'] / 60:.1f} min), end to end (loading, features, "
            f"search, scoring, plots); peak memory {h['peak_mb']} MB (largest resident set "
            "of the bench process or any one of its workers)"
            + (f"; load average {h['load_at_start']:.2f} at the start"
               if h.get("load_at_start") is not None else "")
            + (f"; feature cache {h['feature_cache_mb'][0]:,} MB on disk before the run, "
               f"{h['feature_cache_mb'][1]:,} MB after" if "feature_cache_mb" in h else ""),
        ]
        if len({x.get("machine") for x in history}) > 1:
            lines.append(f"  - machine: {h.get('machine', 'not recorded')}")
    if len(history) > 1:
        total = sum(h["wall_s"] for h in history)
        lines.append(f"- total wall time of these {len(history)} invocations: {total:.0f} s "
                     f"({total / 60:.1f} min)")
    machines = {h.get("machine", machine_description()) for h in history}
    if len(machines) == 1:
        lines.append(f"- machine: {machines.pop()}")
    lines += ["", "## Results", "", table]
    text = "\n".join(lines)
    (out / "RUN.md").write_text(text)
    return text


if __name__ == "__main__":
    sys.exit(main())
