#!/usr/bin/env python3
"""Build the bundled example submissions, in nbgrader's layout, from the notebooks in the repo.

    examples/submitted/<student>/<assignment>/<notebook>.ipynb

Each example is the *released* notebook with its answer cells filled in from the solution
notebook (solution markers removed), then the variant's edits applied: a typical mistake, an
alternative correct answer, or something hostile. The variants live in
examples/variants/, one module per assignment. Each variant also states which hidden tests it
must fail; tests/test_examples.py grades every example and holds the grader to exactly that.

    python examples/make_examples.py          # rewrite examples/submitted
    python examples/make_examples.py --check  # exit 1 if examples/submitted is out of date
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # run as a script: make `examples.variants` importable

from examples.variants import Variant  # noqa: E402
from examples.variants import a01_lstm_classifier as a01  # noqa: E402
from examples.variants import a02_sequence_tagger as a02  # noqa: E402
from examples.variants import a03_name_generator as a03  # noqa: E402
from examples.variants import a04_seq2seq as a04  # noqa: E402

OUT = ROOT / "examples" / "submitted"
MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
VARIANTS: dict[str, dict[str, Variant]] = {m.ASSIGNMENT: m.VARIANTS for m in (a01, a02, a03, a04)}
# What tests/redteam builds on (assignment 1's names).
A1, A1_VARIANTS, ANSWERS = a01.A1, a01.A1_VARIANTS, a01.ANSWERS
P1, P2, P3, P4, P5 = a01.P1, a01.P2, a01.P3, a01.P4, a01.P5

# --------------------------------------------------------------------------- building


def build(out: Path) -> None:
    for assignment, variants in VARIANTS.items():
        source = _only_notebook(ROOT / "solutions" / assignment)
        released = ROOT / "assignments" / assignment / source.name
        answers = _filled_answers(json.loads(source.read_text(encoding="utf-8")))
        for student, variant in variants.items():
            target = out / student / assignment / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if variant.replace_all is not None:
                target.write_text(variant.replace_all, encoding="utf-8")
                continue
            nb = json.loads(released.read_text(encoding="utf-8"))
            _fill(nb, answers, variant, student)
            target.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _only_notebook(folder: Path) -> Path:
    (nb,) = sorted(folder.glob("*.ipynb"))
    return nb


def _filled_answers(source_nb: dict) -> dict[str, str]:
    answers = {}
    for cell in source_nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution") and cell["cell_type"] == "code":
            lines = "".join(cell["source"]).split("\n")
            kept = [line for line in lines if line.strip() not in MARKERS]
            answers[meta["grade_id"]] = "\n".join(kept)
    return answers


def _fill(nb: dict, answers: dict[str, str], variant: Variant, student: str) -> None:
    edits: dict[str, str] = {}
    for grade_id, old, new in variant.edits:
        text = edits.get(grade_id, answers[grade_id])
        if text.count(old) != 1:
            raise SystemExit(f"{student}: edit of {grade_id} must match exactly once: {old!r}")
        edits[grade_id] = text.replace(old, new)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers and grade_id not in variant.stubs:
            cell["source"] = edits.get(grade_id, answers[grade_id])
    for code in variant.extra_cells:
        nb["cells"].append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": code,
            }  # fmt: skip
        )


def main() -> int:
    if "--check" not in sys.argv[1:]:
        if OUT.exists():
            shutil.rmtree(OUT)
        build(OUT)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        want = {p.relative_to(tmp): p.read_bytes() for p in Path(tmp).rglob("*") if p.is_file()}
    have = {p.relative_to(OUT): p.read_bytes() for p in OUT.rglob("*") if p.is_file()}
    if want != have:
        stale = sorted(str(p) for p in set(want) ^ set(have) | {
            p for p in set(want) & set(have) if want[p] != have[p]})  # fmt: skip
        print("examples/submitted is out of date; run python examples/make_examples.py:")
        print("\n".join(f"  {s}" for s in stale[:20]))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
