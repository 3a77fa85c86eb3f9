"""Command line: ``python -m autograder {grade,batch,examples,release,gradescope,check} --help``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder.config import DEFAULT_CONFIG, REPO_ROOT, ConfigError, load_config

EXAMPLES_DIR = REPO_ROOT / "examples" / "submitted"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder",
        description="Grade RNN-week notebooks against the hidden test suites in grading.yml.",
    )
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="grading.yml path")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade one notebook", description="Grade one notebook. "
                       "Exits 0 whenever it graded, whatever the score.")  # fmt: skip
    g.add_argument("notebook", type=Path)
    g.add_argument("--assignment", required=True, help="assignment id, e.g. 01_lstm_classifier")
    g.add_argument("--json", type=Path, help="write Gradescope-style results.json here")
    g.add_argument("--feedback", type=Path, help="write a Markdown feedback file here")
    g.add_argument("-v", "--verbose", action="store_true", help="print pytest's own log")
    g.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    b = sub.add_parser("batch", help="grade submitted/<student>/<assignment>/*.ipynb",
                       description="Grade every student's notebook for one assignment (nbgrader "
                       "layout). Writes OUT/results/<student>.json, OUT/feedback/<student>/, "
                       "OUT/grades.csv, OUT/summary.md, OUT/histogram.png; re-runs skip unchanged "
                       "submissions, so a killed batch resumes.")  # fmt: skip
    b.add_argument("assignment")
    b.add_argument("--submitted", type=Path, default=Path("submitted"))
    b.add_argument("--out", type=Path, help="default: graded/<assignment>")
    b.add_argument("-j", "--jobs", type=int, default=2, help="submissions graded at once")
    b.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    b.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    e = sub.add_parser("examples", help="grade the bundled example submissions",
                       description="Grade examples/submitted for every assignment and print "
                       "the score table (results in graded/examples/<assignment>/).")  # fmt: skip
    e.add_argument("-j", "--jobs", type=int, default=2)
    e.add_argument("--force", action="store_true")
    e.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    r = sub.add_parser("release", help="nbgrader generate_assignment into assignments/",
                       description="Regenerate assignments/ID from solutions/ID with nbgrader "
                       "(hidden-test and solution regions removed).")  # fmt: skip
    r.add_argument("assignment")
    r.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    gs = sub.add_parser("gradescope", help="build the Gradescope autograder zip",
                        description="Build the autograder zip to upload to Gradescope (setup.sh, "
                        "run_autograder, the grader and this assignment's suite).")  # fmt: skip
    gs.add_argument("assignment")
    gs.add_argument("--out", type=Path, help="default: graded/gradescope/<assignment>.zip")
    gs.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    k = sub.add_parser("check", help="nbgrader validate, with an exit status",
                       description="Run each notebook in a kernel with its check cells, as "
                       "`nbgrader validate` does, but exit 1 when a check fails or a locked "
                       "cell was changed (nbgrader validate exits 0 either way).")  # fmt: skip
    k.add_argument("notebooks", type=Path, nargs="+")
    k.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    m = sub.add_parser("mutants", help="measure the hidden suite with mutants of the solution",
                       description="Grade one-change mutants of the solution's answer cells and "
                       "the hand-written mistakes/alternatives of examples/variants; report per "
                       "problem what was killed, survived, lost points elsewhere or could not "
                       "run. Exits 1 on an untriaged survivor, a collateral loss, an "
                       "alternative below full marks or a mutant that could not run. "
                       "See docs/mutants.md.")  # fmt: skip
    m.add_argument("assignment")
    m.add_argument("--out", type=Path, help="default: graded/mutants/<assignment>")
    m.add_argument("-j", "--jobs", type=int, default=2, help="submissions graded at once")
    m.add_argument("--limit", type=int, help="grade at most N generated mutants (spread evenly)")
    m.add_argument("--operators", help="comma-separated operators (default: all)")
    m.add_argument("--cells", help="comma-separated answer cells, e.g. predict_answer or predict")
    m.add_argument("--no-corpus", action="store_true", help="skip examples/variants mistake_/alt_")
    m.add_argument("--list", action="store_true", help="print the mutants and their diffs only")
    m.add_argument("--force", action="store_true", help="regrade even unchanged submissions")
    m.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="grading.yml path")

    args = parser.parse_args(argv)
    try:
        config = load_config(args.config)
        if args.command == "grade":
            return _grade(args, config)
        if args.command == "batch":
            assignment = config.assignment(args.assignment)
            out = args.out or Path("graded") / assignment.id
            return _batch(assignment, args.submitted, out, args)
        if args.command == "release":
            from autograder.release import release

            out = release(config.assignment(args.assignment).id)
            print(f"released {out.relative_to(REPO_ROOT)}")
            return 0
        if args.command == "gradescope":
            return _gradescope(config.assignment(args.assignment), args)
        if args.command == "check":
            from autograder.nbgrader_bridge import check_notebooks

            return check_notebooks(args.notebooks)
        if args.command == "mutants":
            from autograder.mutants import main as mutants_main

            return mutants_main(config.assignment(args.assignment), args, argv)
        if args.command == "examples":
            status = 0
            for assignment in config.assignments.values():
                if any(EXAMPLES_DIR.glob(f"*/{assignment.id}")):
                    out = REPO_ROOT / "graded" / "examples" / assignment.id
                    status |= _batch(assignment, EXAMPLES_DIR, out, args)
            return status
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 2


def _grade(args, config) -> int:
    from autograder.sandbox import Worker

    assignment = config.assignment(args.assignment)
    with Worker() as worker:
        worker.start()  # first: its torch import overlaps the grader's own imports below
        from autograder.report import feedback_markdown, write_atomic, write_json
        from autograder.runner import freeze_imports, grade_notebook

        freeze_imports()
        results = grade_notebook(args.notebook, assignment, worker=worker, verbose=args.verbose)
    if args.json:
        write_json(args.json, results)
    if args.feedback:
        write_atomic(args.feedback, feedback_markdown(results))
    if not args.json or args.verbose:
        print(feedback_markdown(results))
    else:
        print(f"{args.notebook}: {results['score']:g} / {results['max_score']:g}")
    return 0


def _batch(assignment, submitted: Path, out: Path, args) -> int:
    from autograder.batch import BatchError, grade_batch
    from autograder.report import class_summary, score_table

    if not submitted.is_dir():
        print(f"error: no folder {submitted}", file=sys.stderr)
        return 2
    try:
        rows = grade_batch(
            assignment, submitted, out, config_path=args.config, jobs=args.jobs, force=args.force
        )
    except BatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: run the same command again to grade the rest", file=sys.stderr)
        return 130
    problems = [p.name for p in assignment.problems]
    print(f"\n{assignment.id}: {assignment.title} ({len(rows)} submissions)")
    print(score_table(rows, problems))
    print()
    print(class_summary(rows, assignment))
    print(f"CSV: {out / 'grades.csv'}   feedback: {out / 'feedback'}")
    print(f"summary: {out / 'summary.md'}   histogram: {out / 'histogram.png'}")
    return 0


def _gradescope(assignment, args) -> int:
    from autograder.gradescope import BundleError, build_bundle

    out = args.out or Path("graded") / "gradescope" / f"{assignment.id}.zip"
    try:
        names = build_bundle(assignment, args.config, out)
    except (BundleError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({len(names)} files); upload it as the assignment's autograder")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
