"""Shared fixtures for the repository's own tests."""

from __future__ import annotations

import json
import subprocess
import sys
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


@pytest.fixture
def run_check():
    """Run a data builder in --check mode (the datasets' tests share it)."""

    def run(builder: Path) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(builder), "--check"], capture_output=True, text=True, timeout=300
        )

    return run


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``-n 2 --dist loadgroup``, as ``dev.py test`` runs), a module's
    tests stay together on one worker unless they name their own group: module-scoped fixtures
    grade whole batches of submissions and must run once, not once per worker."""
    for item in items:
        if item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
