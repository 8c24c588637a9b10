"""The shape of the code itself: no function of fer_classic grows past 80 lines."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "fer_classic"
MAX_LINES = 80


def _docstring_lines(node):
    """Return the line numbers of the docstring of a function node (empty without one)."""
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        return set(range(first.lineno, first.end_lineno + 1))
    return set()


def _code_lines(node, lines):
    """Return the number of non-blank, non-comment lines of a function body, docstring aside."""
    docstring = _docstring_lines(node)
    count = 0
    for number in range(node.body[0].lineno, node.end_lineno + 1):
        text = lines[number - 1].strip()
        if number not in docstring and text and not text.startswith("#"):
            count += 1
    return count


def _function_lengths(path):
    """Return ``(qualified name, code lines)`` of every function defined in a module."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    lengths = []

    def visit(node, prefix):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lengths.append((prefix + child.name, _code_lines(child, lines)))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename=str(path)), "")
    return lengths


def test_no_function_is_longer_than_80_lines():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 10
    too_long = [f"{path.relative_to(PACKAGE.parent)}: {name} ({n} lines)"
                for path in modules for name, n in _function_lengths(path) if n > MAX_LINES]
    assert not too_long, f"over {MAX_LINES} lines of code: {'; '.join(too_long)}"


def test_the_line_count_skips_docstrings_comments_and_blank_lines():
    source = 'def f():\n    """Doc.\n\n    More.\n    """\n    # a comment\n\n    x = 1\n' \
             '    return x\n'
    function = ast.parse(source).body[0]
    assert _code_lines(function, source.splitlines()) == 2
