"""The notebook formats editors actually save are all graded like the original.

Every variant is the reference solution of assignment 1, saved the way some editor or tool saves
it (a byte-order mark, CRLF line endings, nbformat 4.0-4.5 or 3, ``source`` as one string or a
list of lines, Colab or VS Code metadata...). All variants are built into one folder and graded by
one ``python -m autograder batch`` call (grading is slow); each must get full marks and no note.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.config import load_config
from autograder.notebook import MAX_NOTEBOOK_BYTES, NotebookError, read_cells

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "01_lstm_classifier"
REFERENCE = ROOT / "examples/submitted/reference" / ASSIGNMENT / "lstm_classifier.ipynb"


def _dump(nb: dict) -> bytes:
    """As Jupyter writes it (indent 1, UTF-8 kept, trailing newline)."""
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def _lines(source) -> list[str]:
    text = "".join(source) if isinstance(source, list) else source
    return text.splitlines(keepends=True)


def _map_cells(nb: dict, change) -> dict:
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        change(cell)
    return nb


def minor(n: int):
    """nbformat 4.n: cell ids only from 4.5 on."""

    def build(nb: dict) -> bytes:
        nb = copy.deepcopy(nb)
        nb["nbformat_minor"] = n
        if n < 5:
            for cell in nb["cells"]:
                cell.pop("id", None)
        return _dump(nb)

    return build


def source_as_string(nb):
    return _dump(_map_cells(nb, lambda c: c.update(source="".join(_lines(c["source"])))))


def source_as_list(nb):
    return _dump(_map_cells(nb, lambda c: c.update(source=_lines(c["source"]))))


def crlf_file(nb):
    """Windows line endings in the file itself (JSON whitespace)."""
    return _dump(nb).replace(b"\n", b"\r\n")


def crlf_sources(nb):
    """Windows line endings inside every cell's source."""
    return _dump(_map_cells(nb, lambda c: c.update(source=[s.replace("\n", "\r\n") for s in
                                                           _lines(c["source"])])))  # fmt: skip


def byte_order_mark(nb):
    return b"\xef\xbb\xbf" + _dump(nb)


def compact(nb):
    """No indentation, ASCII escapes (json.dump's defaults, as some scripts write it)."""
    return json.dumps(nb).encode()


def colab(nb):
    """Colab: its own metadata; cell metadata (nbgrader's, tags) not kept."""
    nb = copy.deepcopy(nb)
    nb["metadata"] = {"colab": {"provenance": [], "name": "lstm_classifier.ipynb"},
                      "kernelspec": {"name": "python3", "display_name": "Python 3"},
                      "language_info": {"name": "python"}, "accelerator": "GPU"}  # fmt: skip
    for i, cell in enumerate(nb["cells"]):
        cell["metadata"] = {"id": f"c{i:04x}"}
        if cell["cell_type"] == "code":
            cell["metadata"]["colab"] = {"base_uri": "https://localhost:8080/"}
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["ok\n"]}]
            cell["execution_count"] = i
    return _dump(nb)


def vscode(nb):
    """VS Code: languageId per cell, interpreter hash, outputs with an error."""
    nb = copy.deepcopy(nb)
    nb["metadata"]["vscode"] = {"interpreter": {"hash": "0" * 64}}
    for cell in nb["cells"]:
        cell["metadata"]["vscode"] = {"languageId": "python"}
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "error", "ename": "KeyboardInterrupt",
                                "evalue": "", "traceback": []}]  # fmt: skip
    return _dump(nb)


def nbformat3(nb):
    """The old format: cells in worksheets, code in ``input``."""
    cells = []
    for cell in nb["cells"]:
        old = {"cell_type": cell["cell_type"], "metadata": cell["metadata"]}
        if cell["cell_type"] == "code":
            old.update(input=_lines(cell["source"]), language="python", outputs=[])
        else:
            old.update(source=_lines(cell["source"]))
        cells.append(old)
    return _dump({"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0,
                  "worksheets": [{"cells": cells, "metadata": {}}]})  # fmt: skip


VARIANTS = {
    "as_released": _dump,
    **{f"nbformat_4_{n}": minor(n) for n in range(6)},
    "nbformat_3": nbformat3,
    "source_as_string": source_as_string,
    "source_as_list": source_as_list,
    "crlf_file": crlf_file,
    "crlf_sources": crlf_sources,
    "byte_order_mark": byte_order_mark,
    "byte_order_mark_crlf": lambda nb: b"\xef\xbb\xbf" + crlf_file(nb),
    "compact_ascii": compact,
    "colab": colab,
    "vscode": vscode,
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> dict[str, dict]:
    """student -> results, from one batch run over all variants."""
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))
    submitted = tmp_path_factory.mktemp("formats")
    for student, build in VARIANTS.items():
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / REFERENCE.name).write_bytes(build(reference))
    out = tmp_path_factory.mktemp("formats-graded")
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "batch", ASSIGNMENT, "--submitted", str(submitted),
         "--out", str(out), "-j", "2"],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}


@pytest.mark.parametrize("student", list(VARIANTS))
def test_every_saved_format_of_the_reference_gets_full_marks_and_no_note(graded, student):
    results = graded[student]
    full = sum(t.points for t in load_config().assignment(ASSIGNMENT).tests.values())
    failed = [f"{t['name']}: {t['output'][:200]}" for t in results["tests"]
              if t["status"] != "passed"]  # fmt: skip
    assert results["score"] == full, failed
    assert results["output"] == ""  # neither "not valid JSON" nor a note about skipped code


def test_the_reader_stays_bounded_with_a_byte_order_mark(tmp_path):
    """The mark counts towards the size limit like any other byte."""
    path = tmp_path / "big.ipynb"
    body = json.dumps({"cells": [], "metadata": {"x": "y" * (MAX_NOTEBOOK_BYTES - 36)}})
    assert len(body) == MAX_NOTEBOOK_BYTES  # allowed by itself
    path.write_bytes(b"\xef\xbb\xbf" + body.encode())
    with pytest.raises(NotebookError, match="are not graded"):
        read_cells(path)
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"cells": []}).encode())
    assert read_cells(path) == []
