"""Points from grading.yml, applied to the per-test outcomes; results in Gradescope's schema."""

from __future__ import annotations

from autograder.config import Assignment
from autograder.plugin import Outcome


def build_results(
    assignment: Assignment,
    outcomes: dict[str, Outcome],
    *,
    seconds: float,
    notes: list[str],
    extra: dict,
) -> dict:
    tests, problems = [], {}
    for problem in assignment.problems:
        got = 0.0
        for spec in problem.tests:
            outcome = outcomes.get(spec.name) or Outcome(False, "not run", 0.0)
            score = spec.points if outcome.passed else 0.0
            got += score
            title = outcome.doc or spec.name.removeprefix("test_").replace("_", " ")
            tests.append(
                {
                    "name": f"{problem.title}: {title}",
                    "score": score,
                    "max_score": spec.points,
                    "status": "passed" if outcome.passed else "failed",
                    "output": outcome.message,
                    "visibility": spec.visibility,
                    "extra_data": {
                        "problem": problem.name,
                        "test": spec.name,
                        "seconds": round(outcome.seconds, 3),  # for the class summary
                    },
                }
            )
        problems[problem.name] = {
            "title": problem.title,
            "score": got,
            "max_score": problem.points,
        }
    score = sum(p["score"] for p in problems.values())
    return {
        "score": score,
        "max_score": assignment.max_score,
        "execution_time": round(seconds, 2),
        "output": "\n".join(notes),
        "visibility": "visible",
        "tests": tests,
        "extra_data": {"assignment": assignment.id, "problems": problems, **extra},
    }


def failed_results(assignment: Assignment, message: str) -> dict:
    """Zero on every test, with one message: for a submission that could not be graded."""
    outcomes = {name: Outcome(False, message, 0.0) for name in assignment.tests}
    results = build_results(assignment, outcomes, seconds=0.0, notes=[message], extra={})
    results["extra_data"]["status"] = "error"
    return results
