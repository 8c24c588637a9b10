"""The README's Python example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no Python example"
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    result = namespace["result"]
    assert set(result.best_params) == {"linearsvm__C"}
    assert 0 <= result.private["accuracy"] <= 1


def test_readme_figures_match_the_benchmark_files():
    """README tables are copies of benchmarks/results files, never typed by hand."""
    import sys

    sys.path.insert(0, str(README.parent / "benchmarks"))
    try:
        from update_readme import render
    finally:
        sys.path.pop(0)
    text = README.read_text()
    assert render(text) == text, "run: python benchmarks/update_readme.py"
