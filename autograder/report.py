"""What graders and students read: results JSON, the class CSV, feedback files, a score table."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def write_json(path: Path, results: dict) -> None:
    write_atomic(path, json.dumps(results, indent=2, ensure_ascii=False) + "\n")


def _fmt(x: float) -> str:
    return f"{x:g}"


def feedback_markdown(results: dict, student: str = "") -> str:
    extra = results.get("extra_data", {})
    who = f" for {student}" if student else ""
    lines = [
        f"# Feedback{who}: {extra.get('assignment', '')}",
        "",
        f"**Score: {_fmt(results['score'])} / {_fmt(results['max_score'])}**",
        "",
    ]
    if results.get("output"):
        lines += [results["output"], ""]
    problems = extra.get("problems", {})
    for pname, p in problems.items():
        lines += [f"## {p['title']}: {_fmt(p['score'])} / {_fmt(p['max_score'])}", ""]
        for t in results["tests"]:
            if t["extra_data"]["problem"] != pname or t["visibility"] == "hidden":
                continue
            mark = "PASS" if t["status"] == "passed" else "FAIL"
            title = t["name"].removeprefix(f"{p['title']}: ")
            lines.append(f"- {mark} {title} ({_fmt(t['score'])}/{_fmt(t['max_score'])})")
            if t["status"] != "passed" and t["output"]:
                lines += ["", *[f"  > {line}" for line in t["output"].splitlines()], ""]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def grades_csv(rows: list[tuple[str, dict]], problem_names: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *problem_names, "score", "max_score", "status"])
    for student, results in rows:
        problems = results.get("extra_data", {}).get("problems", {})
        writer.writerow(
            [
                student,
                *[_fmt(problems.get(p, {}).get("score", 0.0)) for p in problem_names],
                _fmt(results["score"]),
                _fmt(results["max_score"]),
                results.get("extra_data", {}).get("status", "graded"),
            ]
        )
    return out.getvalue()


def score_table(rows: list[tuple[str, dict]], problem_names: list[str]) -> str:
    """A plain-text table, one row per student, one column per problem."""
    header = ["student", *problem_names, "total"]
    body = []
    for student, results in rows:
        problems = results.get("extra_data", {}).get("problems", {})
        cells = [
            f"{_fmt(problems[p]['score'])}/{_fmt(problems[p]['max_score'])}"
            if p in problems
            else "-"
            for p in problem_names
        ]
        body.append([student, *cells, f"{_fmt(results['score'])}/{_fmt(results['max_score'])}"])
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
        )

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *[line(r) for r in body]])
