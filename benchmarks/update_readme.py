"""Copy committed benchmark tables into README.md, between marker comments.

Usage::

    python benchmarks/update_readme.py

For every ``<!-- include: benchmarks/results/X.md -->`` ... ``<!-- end -->``
pair in README.md, the text between the markers is replaced by the file's
current content (for a bench run folder, ``RUN.md``). No figure in the
README is typed by hand: each comes from a file that a command in
``benchmarks/`` wrote.
"""

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PATTERN = re.compile(r"(<!-- include: (?P<path>[^ ]+) -->\n)(?P<body>.*?)(<!-- end -->)", re.S)


def _demote(text):
    # nested inside a README section: headings go two levels down
    return re.sub(r"^(#+) ", lambda m: "#" * min(len(m.group(1)) + 2, 6) + " ", text,
                  flags=re.M)


def render(readme_text):
    def repl(m):
        path = REPO / m.group("path")
        if not path.is_file():
            sys.exit(f"error: README includes {m.group('path')}, which does not exist")
        return m.group(1) + _demote(path.read_text().strip()) + "\n" + m.group(4)

    return PATTERN.sub(repl, readme_text)


def main():
    readme = REPO / "README.md"
    text = readme.read_text()
    new = render(text)
    if new != text:
        readme.write_text(new)
        print("README.md updated")
    else:
        print("README.md already up to date")


if __name__ == "__main__":
    main()
