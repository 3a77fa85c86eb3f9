"""Students' HTML feedback from `nbgrader generate_feedback`, opened in a real browser.

The pages come from the course that test_nbgrader_roundtrip.py autogrades through the bridge.
Each must show, per problem, its points and, per failed test, what was expected; none may
show hidden test code or reference values (nbgrader issue #917 leaked hidden tests this way;
here the notebooks hold none, the suites live in autograder/suites).

The browser is Debian's chromium, headless. Without it these tests skip, unless
RNN_WEEK_REQUIRE_BROWSER=1 (set by .ci/run, which installs it) makes them fail instead.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from PIL import Image
from test_nbgrader_roundtrip import ASSIGNMENT, NOTEBOOK, STUDENTS, graded_course

SHOWN = ("mistake_batch_first", "hostile_os_exit")  # students whose pages the browser opens


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """(course, student -> path of their feedback page)."""
    course = graded_course(tmp_path_factory)
    course.nbgrader("generate_feedback", ASSIGNMENT.id)
    pages = {s: course.root / "feedback" / s / ASSIGNMENT.id / f"{NOTEBOOK}.html" for s in STUDENTS}
    return course, pages


class _Text(html.parser.HTMLParser):
    """The text a reader sees (script and style bodies left out), whitespace collapsed."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def squash(text: str) -> str:
    return " ".join(text.split())


def hidden_lines(public: str) -> set[str]:
    """Lines of the hidden suite (tests, probes, reference) that nothing public contains.

    Left out: lines that are only a string (assert messages are student-facing by design),
    comments, short lines, and lines found in ``public`` (the release and the student's own
    notebook: the shared setup code, the student's answers).
    """
    secret = set()
    for path in sorted(ASSIGNMENT.suite_dir.glob("*.py")):
        for line in path.read_text().splitlines():
            line = line.strip()
            if len(line) < 16 or line.startswith(("#", '"', "'", 'f"', "f'", ")")):
                continue
            if squash(line) not in public:
                secret.add(line)
    return secret


def notebook_code(path: Path) -> str:
    return squash("\n".join(c.source for c in nbformat.read(path, as_version=4).cells))


def test_every_student_gets_a_page_with_scores_and_no_hidden_test_code(feedback):
    course, pages = feedback
    release = notebook_code(course.root / "assignments" / ASSIGNMENT.id / ASSIGNMENT.notebook)
    for student, page in pages.items():
        text = visible_text(page.read_text(encoding="utf-8"))
        submitted = course.root / "submitted" / student / ASSIGNMENT.id / ASSIGNMENT.notebook
        secret = hidden_lines(release + " " + notebook_code(submitted))
        assert len(secret) > 100, "expected the suite's code lines"
        leaked = sorted(line for line in secret if squash(line) in text)
        assert not leaked, f"{student}: hidden suite code in the feedback: {leaked[:5]}"
        # The search does see code: the visible check cells (public) are on the page.
        assert squash("_lstm = nn.LSTM(input_size=3, hidden_size=5)") in text
        for problem in ASSIGNMENT.problems:
            assert problem.title in text, (student, problem.title)


def test_failed_tests_say_what_was_expected(feedback):
    course, pages = feedback
    for student in STUDENTS:
        results = course.ours[student]
        text = visible_text(pages[student].read_text(encoding="utf-8"))
        for test in results["tests"]:
            if test["status"] == "passed" or test["visibility"] == "hidden":
                continue
            assert test["output"] and squash(test["output"]) in text, (student, test["name"])


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("RNN_WEEK_REQUIRE_BROWSER") == "1":
        pytest.fail("chromium is required here (apt-get install chromium)")
    pytest.skip("chromium is not installed (apt-get install --no-install-recommends chromium)")


def headless(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", f"--user-data-dir={profile}", *args]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


@pytest.mark.parametrize("student", SHOWN)
def test_feedback_renders_in_a_headless_browser(feedback, tmp_path, student):
    browser = chromium()
    course, pages = feedback
    url = pages[student].as_uri()
    dom = headless(browser, tmp_path / "profile", "--dump-dom", url).stdout
    text = visible_text(dom)
    with Gradebook(course.db_url) as gb:
        submission = gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT.id, student)
        total, grades = submission.score, {g.name: g.score for g in submission.grades}
    assert f"Score: {total:.1f} / {ASSIGNMENT.max_score:.1f}" in text
    results = course.ours[student]
    for problem in ASSIGNMENT.problems:
        score = grades[problem.name]
        assert score == results["extra_data"]["problems"][problem.name]["score"]
        assert f"Score: {score:.1f} / {problem.points:.1f}" in text  # nbgrader's cell header
        assert f"{problem.title}: {score:g} / {problem.points:g} points" in text  # our report
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(squash(t["output"]) in text for t in failed)

    shot = tmp_path / "page.png"
    headless(browser, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1000,1400", url)
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, "the screenshot is blank"
