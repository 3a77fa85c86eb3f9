"""A long-lived grader for a batch: grades one submission after another with one worker.

A batch used to start ``python -m autograder grade`` per submission: importing torch and pytest
in the grader and starting a worker server (torch again) took longer than the hidden tests of a
typical notebook. This process pays that once per batch job. Neither this process nor the
worker server ever runs student code (every probe still forks a fresh confined child), so
sharing them across submissions shares nothing a student controls.

Protocol (``batch._Grader`` is the other end): one JSON line per submission on stdin,
``{"notebook": path, "json": results path}``; this process writes the results file, then one
line ``done`` on the reply file descriptor. End of stdin: exit.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from autograder.config import load_config
from autograder.sandbox import Worker


def main(argv: list[str]) -> int:
    """argv: assignment id, grading.yml path, reply file descriptor."""
    assignment_id, config_path, reply_fd = argv[0], Path(argv[1]), int(argv[2])
    replies = os.fdopen(reply_fd, "w", buffering=1)
    with Worker() as worker:
        worker.start()  # its torch import overlaps ours
        from autograder.report import write_json
        from autograder.runner import freeze_imports, grade_notebook

        assignment = load_config(config_path).assignment(assignment_id)
        freeze_imports()
        for line in sys.stdin:
            request = json.loads(line)
            results = grade_notebook(request["notebook"], assignment, worker=worker)
            write_json(Path(request["json"]), results)
            replies.write("done\n")
    return 0
