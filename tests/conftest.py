"""Shared fixtures for the repository's own tests."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # for `datasets` and `examples`
torch.set_num_threads(1)  # small models; the graders run beside us on a 2-core machine


def write_notebook(path: Path, sources: list[str], metas: list[dict] | None = None) -> Path:
    cells = [
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": (metas or [{}] * len(sources))[i],
            "outputs": [],
            "source": src,
        }
        for i, src in enumerate(sources)
    ]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture
def make_notebook(tmp_path):
    def make(*sources: str, name: str = "nb.ipynb", metas: list[dict] | None = None) -> Path:
        return write_notebook(tmp_path / name, list(sources), metas)

    return make


@dataclass(frozen=True)
class Process:
    pid: int
    ppid: int
    pgrp: int


def _live_processes() -> list[Process]:
    """Every process that is not a zombie, from /proc/*/stat."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after the command name
        except OSError:
            continue  # it ended meanwhile
        if fields[0] != "Z":
            found.append(Process(int(stat.parent.name), int(fields[1]), int(fields[2])))
    return found


@pytest.fixture
def live_processes():
    """live_processes() -> the machine's processes now (zombies left out), for tests of what
    outlives what."""
    return _live_processes


@pytest.fixture
def run_check():
    """Run a data builder in --check mode (the datasets' tests share it)."""

    def run(builder: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(builder), "--check"], capture_output=True, text=True, timeout=300
        )

    return run


# How `dev.py test` spreads the tests over pytest-xdist's workers. pytest-xdist's own grouping
# (`--dist loadgroup` with `xdist_group` marks) has no effect under pytest 9.2: the worker renames
# `item._nodeid`, which pytest 9 no longer reads, so every test was scheduled alone and every
# module-scoped fixture (an example batch, the red-team batch, an nbgrader course) ran once per
# worker. The scheduler below groups by file instead, which keeps a module's fixtures on one worker.
SAME_GROUP = {  # a file that reuses another file's session-wide fixture runs beside it
    "tests/test_feedback_html.py": "tests/test_nbgrader_roundtrip.py",  # graded_course()
}
PER_ASSIGNMENT = ("tests/test_examples.py",)  # one group per assignment id in the test's id
INDEPENDENT = (  # long tests that share no fixture: each is scheduled on its own
    "tests/test_student_bundle.py",
    "tests/test_suite_a01_margins.py",
    "tests/test_suite_a02_margins.py",
    "tests/test_suite_a03_margins.py",
    "tests/test_suite_a04_margins.py",
)
# Seconds per group, roughly (`--durations`, 2 cores): the longest start first, so that no long
# group is left to run alone at the end. Groups not listed are short.
HEAVY = {
    "tests/test_nbgrader_roundtrip.py": 150,
    "tests/test_examples.py::04_seq2seq": 95,
    "tests/test_examples.py::02_sequence_tagger": 90,
    "tests/test_redteam.py": 90,
    "tests/test_gradescope.py": 70,
    "tests/test_examples.py::01_lstm_classifier": 65,
    "tests/test_examples.py::03_name_generator": 60,
    "tests/test_release.py": 55,
    "tests/test_notebook_formats.py": 40,
}
ASSIGNMENT_ID = re.compile(r"\[(\d\d_[a-z0-9_]+)[\]/]")


def xdist_group(nodeid: str) -> str:
    """The group of a test: tests of one group run on one worker, in collection order."""
    path = nodeid.split("::", 1)[0]
    if path in INDEPENDENT:
        return nodeid
    if path in PER_ASSIGNMENT and (match := ASSIGNMENT_ID.search(nodeid)):
        return f"{path}::{match.group(1)}"
    return SAME_GROUP.get(path, path)


def pytest_collection_modifyitems(config, items):
    """Heaviest groups first (a stable sort: within a group, the order of the files)."""
    items.sort(key=lambda item: -HEAVY.get(xdist_group(item.nodeid), 0))


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # plain pytest: no scheduling to do
    pass
else:

    class GroupScheduling(LoadScopeScheduling):
        """pytest-xdist's per-scope scheduling with the scopes of ``xdist_group``."""

        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(nodeid)

    def pytest_xdist_make_scheduler(config, log):
        config.option.loadscopereorder = False  # keep the order above
        return GroupScheduling(config, log)
