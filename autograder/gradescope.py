"""Gradescope: build an assignment's autograder zip, and grade one submission inside it.

Gradescope (https://gradescope-autograders.readthedocs.io/en/latest/specs/) unpacks the zip into
/autograder/source, runs ``setup.sh`` once when it builds the image (Ubuntu), then, for every
submission, runs ``run_autograder`` with the student's files in /autograder/submission/ and
reads /autograder/results/results.json. Our results are already in that schema
(scoring.build_results), with each test's visibility taken from grading.yml.

The zip holds this package with only the assignment's hidden suite, a grading.yml reduced to
the assignment, its released notebook (for the trusted setup cells), requirements.txt with the
pins of pyproject.toml, setup.sh and run_autograder. ``AUTOGRADER_ROOT`` (default /autograder)
moves the whole layout, so that a test can run the bundle in a temporary folder.

    python -m autograder gradescope 01_lstm_classifier --out autograder.zip    # build
    python -m autograder.gradescope --assignment 01_lstm_classifier             # grade (inside)
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import sys
import time
import tomllib
import traceback
import zipfile
from pathlib import Path

import yaml

from autograder.config import DEFAULT_CONFIG, REPO_ROOT, Assignment, load_config, parse_config

PACKAGE_DIR = Path(__file__).resolve().parent
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# What grading imports (the grader, the worker, and the libraries student notebooks use);
# nbgrader, ipykernel and the like are for the course repo, not for Gradescope's image.
RUNTIME_PACKAGES = ("torch", "numpy", "matplotlib", "pytest", "pytest-timeout", "pyyaml")
# Gradescope's results.json keys (top level); ours go into extra_data (e.g. max_score).
GRADESCOPE_KEYS = {
    "score", "execution_time", "output", "output_format", "test_output_format",
    "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard",
}  # fmt: skip
ZIP_DATE = (2020, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same zip

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04).
set -euxo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
export DEBIAN_FRONTEND=noninteractive
apt-get update
# Python 3.11 (what the course pins); Ubuntu 22.04 has it, other releases get it from deadsnakes.
if ! apt-get install -y --no-install-recommends python3.11 python3.11-venv; then
    apt-get install -y --no-install-recommends software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi
python3.11 -m venv "$ROOT/venv"
PY="$ROOT/venv/bin/python"
"$PY" -m pip install --upgrade pip
# The CPU build of torch from PyTorch's own index: PyPI's default build pulls in CUDA (GBs).
"$PY" -m pip install --index-url {torch_index} "{torch_pin}"
"$PY" -m pip install -r "$SOURCE/requirements.txt"
# The grader starts its worker with `python -I -m autograder.worker`, which ignores the working
# directory and PYTHONPATH: the package must be importable from site-packages.
SITE="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$SOURCE" > "$SITE/rnn_week_autograder.pth"
"$PY" -c "import torch, autograder.runner; print('torch', torch.__version__)"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission. It always leaves a valid results.json.
set -u
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}}"
RESULTS="$ROOT/results/results.json"
mkdir -p "$ROOT/results"
rm -f "$RESULTS"
cd "$ROOT/source" && "$PY" -m autograder.gradescope --root "$ROOT" --assignment {assignment}
status=$?
if [ ! -s "$RESULTS" ]; then
    # Python itself could not run: still give Gradescope (and the student) an answer.
    message="The autograder could not run (exit $status). Please tell the course staff."
    printf '{{"score": 0, "output": "%s", "tests": []}}\\n' "$message" > "$RESULTS"
fi
"""


class BundleError(RuntimeError):
    """The bundle cannot be built (a file or pin is missing)."""


def build_bundle(assignment: Assignment, config_path: Path, out: Path) -> list[str]:
    """Write the autograder zip to ``out``; returns the names it holds."""
    files = bundle_files(assignment, config_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = name in ("setup.sh", "run_autograder")
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            zf.writestr(info, data)
    os.replace(tmp, out)
    return sorted(files)


def bundle_files(assignment: Assignment, config_path: Path) -> dict[str, bytes]:
    """Zip member name -> content."""
    files: dict[str, bytes] = {}
    suite_dir = assignment.suite_dir
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        files[f"autograder/{path.name}"] = path.read_bytes()
    suites = PACKAGE_DIR / "suites"
    for name in ("__init__.py", "pytest.ini"):
        files[f"autograder/suites/{name}"] = (suites / name).read_bytes()
    _add_tree(files, f"autograder/suites/{suite_dir.name}", suite_dir)
    for package in _dataset_packages(suite_dir):  # data the hidden suite imports, if any
        files["datasets/__init__.py"] = (REPO_ROOT / "datasets" / "__init__.py").read_bytes()
        _add_tree(files, f"datasets/{package}", REPO_ROOT / "datasets" / package)
    if not assignment.released_notebook.is_file():
        raise BundleError(
            f"no released notebook {assignment.released_notebook.relative_to(REPO_ROOT)}: "
            f"run `python -m autograder release {assignment.id}` first"
        )
    files[f"assignments/{assignment.id}/{assignment.notebook}"] = (
        assignment.released_notebook.read_bytes()
    )
    files["grading.yml"] = _reduced_config(assignment, config_path).encode()
    files["requirements.txt"] = requirements_txt().encode()
    files["setup.sh"] = SETUP_SH.format(
        torch_index=TORCH_CPU_INDEX, torch_pin=pinned("torch")
    ).encode()
    files["run_autograder"] = RUN_AUTOGRADER.format(assignment=assignment.id).encode()
    return files


def _add_tree(files: dict[str, bytes], prefix: str, folder: Path) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[f"{prefix}/{path.relative_to(folder)}"] = path.read_bytes()


def _dataset_packages(suite_dir: Path) -> set[str]:
    """Packages of datasets/ that the suite imports (``from datasets.<name> import ...``)."""
    found = set()
    for path in suite_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] == "datasets" and len(parts) > 1:
                    found.add(parts[1])
    return found


def _reduced_config(assignment: Assignment, config_path: Path) -> str:
    """grading.yml with only this assignment: the bundle holds only its suite."""
    raw = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    reduced = {"assignments": {assignment.id: raw["assignments"][assignment.id]}}
    if "defaults" in raw:
        reduced = {"defaults": raw["defaults"], **reduced}
    text = yaml.safe_dump(reduced, sort_keys=False, allow_unicode=True)
    parse_config(yaml.safe_load(text))  # the bundle must load what it ships
    return f"# Made by `python -m autograder gradescope` from {config_path.name}.\n{text}"


def pinned(name: str) -> str:
    """The requirement for ``name`` as pinned in pyproject.toml, e.g. 'torch==2.13.0'."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for req in project["project"]["dependencies"]:
        if re.split(r"[=<>!~\[; ]", req, maxsplit=1)[0].lower() == name:
            return req
    raise BundleError(f"pyproject.toml pins no {name!r}")


def requirements_txt() -> str:
    lines = [pinned(n) for n in RUNTIME_PACKAGES if n != "torch"]
    header = "# The grader's runtime pins, from pyproject.toml (torch: setup.sh, CPU index)."
    return "\n".join([header, *lines]) + "\n"


# --- inside Gradescope --------------------------------------------------------------------


def find_notebook(submission: Path, assignment: Assignment) -> Path | None:
    """The assignment's notebook by name if present anywhere in the submission, else any
    notebook (the shallowest, then by name); checkpoints never count."""
    notebooks = [
        p
        for p in submission.rglob("*.ipynb")
        if p.is_file() and ".ipynb_checkpoints" not in p.parts
    ]
    notebooks.sort(key=lambda p: (p.name != assignment.notebook, len(p.parts), str(p)))
    return notebooks[0] if notebooks else None


def to_gradescope(results: dict) -> dict:
    """Our results with only Gradescope's top-level keys (the others go into extra_data)."""
    out = {k: v for k, v in results.items() if k in GRADESCOPE_KEYS}
    extra = dict(results.get("extra_data", {}))
    extra.update({k: v for k, v in results.items() if k not in GRADESCOPE_KEYS})
    out["extra_data"] = extra
    return out


def grade_submission(root: Path, assignment_id: str, config_path: Path) -> dict:
    """Results for the submission in ``root``/submission; never raises."""
    start = time.monotonic()
    try:
        assignment = load_config(config_path).assignment(assignment_id)
    except Exception as exc:  # a broken bundle: the student still gets an answer
        traceback.print_exc()
        return _error_results(f"The autograder is misconfigured ({exc}). Please tell the staff.")
    from autograder.scoring import failed_results

    submission = root / "submission"
    nb = find_notebook(submission, assignment) if submission.is_dir() else None
    if nb is None:
        return failed_results(
            assignment,
            f"No notebook (.ipynb) found in your submission: upload {assignment.notebook}.",
        )
    from autograder.runner import grade_notebook  # imports torch: only when there is work

    print(f"grading {nb.relative_to(submission)} with {PACKAGE_DIR}")
    try:
        results = grade_notebook(nb, assignment)
    except Exception:
        traceback.print_exc()  # to Gradescope's stdout, which only the staff sees
        results = failed_results(
            assignment, "The autograder failed on this submission. Please tell the course staff."
        )
    if nb.name != assignment.notebook:
        note = f"Graded {nb.name} (expected {assignment.notebook})."
        results["output"] = f"{note}\n{results['output']}".strip()
    results["execution_time"] = round(time.monotonic() - start, 2)
    return results


def _error_results(message: str) -> dict:
    return {"score": 0.0, "output": message, "visibility": "visible", "tests": []}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope", description=__doc__)
    parser.add_argument("--assignment", required=True)
    root = Path(os.environ.get("AUTOGRADER_ROOT", "/autograder"))
    parser.add_argument("--root", type=Path, default=root, help="default: $AUTOGRADER_ROOT")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    args = parser.parse_args(argv)
    results = to_gradescope(grade_submission(args.root, args.assignment, args.config))
    path = args.root / "results" / "results.json"
    from autograder.report import write_atomic

    write_atomic(path, json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"{path}: score {results['score']:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
