"""What graders and students read: results JSON, the class CSV, feedback files, a score table,
and for the TA a class summary (Markdown) and a histogram of the scores (PNG)."""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from pathlib import Path

from autograder.config import Assignment

TMP_SUFFIX = ".tmp"  # write_atomic's temporary files: ".<name>.<random>.tmp"


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a temporary file and rename: a reader never sees half a file.

    On any error (a full disk, say) the temporary file is removed and the old file, if any, is
    left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    try:
        if isinstance(data, str):
            data = data.encode("utf-8")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
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


def class_summary(rows: list[tuple[str, dict]], assignment: Assignment, slowest: int = 5) -> str:
    """Markdown for the TA: the score distribution, each problem's mean, how many students
    passed each test, and the tests that took longest (from the per-test seconds)."""
    n = len(rows)
    totals = sorted(r["score"] for _, r in rows)
    errors = sum(r.get("extra_data", {}).get("status") == "error" for _, r in rows)
    full = sum(t >= assignment.max_score for t in totals)
    lines = [f"# {assignment.id}: {assignment.title}", "", f"{n} submissions.", ""]
    if not n:
        return "\n".join(lines)
    mean = sum(totals) / n
    lines += [
        f"Total: mean {_fmt(round(mean, 2))} / {_fmt(assignment.max_score)} "
        f"({100 * mean / assignment.max_score:.0f} %), median {_fmt(_median(totals))}, "
        f"min {_fmt(totals[0])}, max {_fmt(totals[-1])}; {full} with full marks, "
        f"{errors} not gradable (no notebook, or the grader failed on it).",
        "",
        "| problem | mean | max | mean % | full marks |",
        "|---|---:|---:|---:|---:|",
    ]
    for problem in assignment.problems:
        got = [r.get("extra_data", {}).get("problems", {}).get(problem.name, {}) for _, r in rows]
        scores = [g.get("score", 0.0) for g in got]
        p_mean = sum(scores) / n
        lines.append(
            f"| {problem.title} | {_fmt(round(p_mean, 2))} | {_fmt(problem.points)} | "
            f"{100 * p_mean / problem.points:.0f} % | "
            f"{sum(s >= problem.points for s in scores)}/{n} |"
        )
    by_test = _tests_by_name(rows)
    lines += ["", "## Tests: how many passed", "", "| test | points | passed | % |"]
    lines.append("|---|---:|---:|---:|")
    for problem in assignment.problems:
        for spec in problem.tests:
            passed = sum(t["status"] == "passed" for _, t in by_test.get(spec.name, []))
            lines.append(
                f"| {problem.name}: {spec.name} | {_fmt(spec.points)} | {passed}/{n} | "
                f"{100 * passed / n:.0f} % |"
            )
    timed = []  # (mean s, max s, slowest student, test) over the submissions that were graded
    for name, runs in by_test.items():
        seconds = [(t["extra_data"]["seconds"], s) for s, t in runs if "seconds" in t["extra_data"]]
        if seconds:
            worst = max(seconds)
            timed.append((sum(x for x, _ in seconds) / len(seconds), worst[0], worst[1], name))
    if timed:
        lines += ["", f"## Slowest tests (top {slowest} by mean seconds)", ""]
        lines += ["| test | mean s | max s | slowest for |", "|---|---:|---:|---|"]
        for mean_s, max_s, student, name in sorted(timed, reverse=True)[:slowest]:
            lines.append(f"| {name} | {mean_s:.2f} | {max_s:.2f} | {student} |")
    return "\n".join(lines) + "\n"


def _tests_by_name(rows: list[tuple[str, dict]]) -> dict[str, list]:
    """test name -> [(student, test entry)], leaving out submissions that could not be graded."""
    out: dict[str, list] = {}
    for student, results in rows:
        if results.get("extra_data", {}).get("status") == "error":
            continue
        for t in results.get("tests", []):
            out.setdefault(t["extra_data"]["test"], []).append((student, t))
    return out


def _median(xs: list[float]) -> float:
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


def score_histogram_png(rows: list[tuple[str, dict]], assignment: Assignment) -> bytes:
    """A histogram of the total scores, one bar per point, as PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # Figure + the Agg canvas directly, not pyplot: no global backend state, no display needed.
    fig = Figure(figsize=(7, 3.8), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    top = assignment.max_score
    edges = [x - 0.5 for x in range(int(top) + 2)] if top <= 100 else 20
    scores = [r["score"] for _, r in rows]
    ax.hist(scores, bins=edges, color="#4477aa", edgecolor="white")
    if scores:
        mean = sum(scores) / len(scores)
        ax.axvline(mean, color="#cc6677", linestyle="--", label=f"mean {mean:.1f}")
        ax.legend(loc="upper left")
    ax.set_xlim(-0.5, top + 0.5)
    ax.set_xlabel(f"total score (of {_fmt(top)})")
    ax.set_ylabel("submissions")
    ax.set_title(f"{assignment.id}: {len(rows)} submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
