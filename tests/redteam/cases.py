"""The red-team corpus: hostile and broken submissions for assignment 1, with the verdict each
must get. tests/test_redteam.py grades them all in one batch through the real CLI.

Each case starts from the reference solution (filled in as examples/make_examples.py does),
usually adds a typical mistake so that the honest score is below full marks, and then attacks:
hostile code goes into an answer, or an extra cell, extra files or raw bytes are added.
Verdict: exactly the mistake's tests and those in ``fails`` fail (the honest value, or 0 for
the attacked part), and each of ``messages`` appears in the feedback. Placeholders in the code
(``<<SENTINEL>>`` and so on) are filled in by ``build`` with paths and ports of the test run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from examples import make_examples as ex

ASSIGNMENT = ex.A1
NOTEBOOK = "lstm_classifier.ipynb"
LSTM, STEP, BATCH, TRAIN, PREDICT = ex.ANSWERS  # answer cells (nbgrader grade_ids)
FAKE_RESULTS = '{"score": 25, "max_score": 25, "tests": [], "output": "pwned"}'


@dataclass(frozen=True)
class Case:
    attack: str  # for the README table
    outcome: str  # what happens, for the README table
    mistake: str = ""  # an example variant whose edits (and failures) come along
    edits: tuple[tuple[str, str, str], ...] = ()  # (answer cell, old text, new text)
    stubs: tuple[str, ...] = ()  # answer cells left as released (raise NotImplementedError)
    extra_cells: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)  # next to the notebook
    raw: bytes | None = None  # the whole file instead of a notebook
    fifo: bool = False  # the notebook is a named pipe (reading it would block forever)
    fails: tuple[str, ...] = ()  # on top of the mistake's
    messages: tuple[str, ...] = ()  # each expected in the feedback (test outputs and notes)
    root_only: bool = False  # the defence needs the user switch and namespaces
    known_limit: str = ""  # not defended: the test is an expected failure, with this reason

    def expected_failures(self) -> set[str]:
        base = ex.A1_VARIANTS[self.mistake].fails if self.mistake else ()
        return set(base) | set(self.fails)


def _prepend(cell: str, first_line: str, body: str) -> tuple[str, str, str]:
    """An edit that puts ``body`` in front of the answer's first statement ``first_line``."""
    return (cell, first_line, body + first_line)


P1, P2, P3, P4, P5 = ex.P1, ex.P2, ex.P3, ex.P4, ex.P5
ALL = P1 + P2 + P3 + P4 + P5
BATCH_FIRST = "    return pack_sequence("
TRAIN_FIRST = "    optimizer.zero_grad()\n"
PREDICT_FIRST = "    if not names:\n"
STEP_FIRST = "    state = None"

CASES: dict[str, Case] = {
    # ----------------------------------------------------------- lying values and patched torch
    "always_true_eq": Case(
        "predict returns an object whose __eq__ is always True",
        "only data crosses the boundary: the object is reported by type name; P5 fails",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    class AlwaysEqual:\n"
                "        def __eq__(self, other):\n"
                "            return True\n"
                "        __hash__ = None\n"
                "    return AlwaysEqual()\n",
            ),
        ),
        fails=P5,
        messages=("AlwaysEqual",),
    ),
    "lying_tensor_subclass": Case(
        "forward returns softmax wrapped in a Tensor subclass whose __torch_function__ says "
        "True to every comparison",
        "the wire sends a plain copy of the numbers; the grader compares them: the softmax "
        "mistake is caught",
        mistake="mistake_softmax_output",
        edits=(
            (
                LSTM,
                "nn.functional.softmax(self.fc(h_n[-1]), dim=-1)",
                "nn.functional.softmax(self.fc(h_n[-1]), dim=-1).as_subclass(Liar)",
            ),
        ),
        extra_cells=(
            "class Liar(torch.Tensor):\n"
            "    @classmethod\n"
            "    def __torch_function__(cls, func, types, args=(), kwargs=None):\n"
            "        name = getattr(func, '__name__', '')\n"
            "        if name in {'allclose', 'equal', 'isclose', 'eq', '__eq__', 'all'}:\n"
            "            return True\n"
            "        return super().__torch_function__(func, types, args, kwargs or {})\n",
        ),
        messages=("log-probabilities",),
    ),
    "patched_torch_at_import": Case(
        "torch.allclose, torch.equal, Tensor.__eq__ and assert_close patched at import time",
        "patches live in the worker child only; the grader's torch is untouched",
        mistake="mistake_state_not_carried",
        extra_cells=(
            "torch.allclose = lambda *args, **kwargs: True\n"
            "torch.equal = lambda *args, **kwargs: True\n"
            "torch.Tensor.__eq__ = lambda self, other: torch.ones((), dtype=torch.bool)\n"
            "torch.testing.assert_close = lambda *args, **kwargs: None\n",
        ),
    ),
    # ------------------------------------------------------------ files, pytest and the process
    "conftest_next_to_notebook": Case(
        "a conftest.py next to the notebook that marks every test passed",
        "never loaded: the hidden suite runs with its own rootdir and ini file",
        mistake="mistake_enforce_sorted",
        files={
            "conftest.py": "open('<<SENTINEL>>', 'w').write('conftest')\n"
            "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\n"
            "def pytest_runtest_makereport(item, call):\n"
            "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n",
        },
    ),
    "shadowing_modules": Case(
        "numpy.py, torch.py, sitecustomize.py, usercustomize.py and a .pth file next to the "
        "notebook",
        "never imported: the worker runs `python -I` in a directory of its own",
        mistake="mistake_summed_loss",
        files={
            name: "open('<<SENTINEL>>', 'w').write(__name__)\n"
            for name in ("numpy.py", "torch.py", "sitecustomize.py", "usercustomize.py", "x.pth")
        },
    ),
    "pytest_outcomes": Case(
        "pytest.exit(returncode=0) in names_to_batch, pytest.skip() in train_step, "
        "pytest.xfail() in predict",
        "inside the worker these are exceptions like any other: P3, P4 and P5 fail",
        edits=(
            _prepend(
                BATCH, BATCH_FIRST, "    import pytest\n    pytest.exit('done', returncode=0)\n"
            ),
            _prepend(TRAIN, TRAIN_FIRST, "    import pytest\n    pytest.skip('later')\n"),
            _prepend(PREDICT, PREDICT_FIRST, "    import pytest\n    pytest.xfail('meh')\n"),
        ),
        fails=P3 + P4 + P5,
        messages=("Exit: done", "Skipped: later", "XFailed: meh"),
    ),
    "exits": Case(
        "sys.exit(0) in lstm_step_by_step, os._exit(0) in names_to_batch, KeyboardInterrupt "
        "in train_step",
        "each costs its own probe only, with a message saying what happened: P2, P3 and P4 fail",
        edits=(
            _prepend(STEP, STEP_FIRST, "    import sys\n    sys.exit(0)\n"),
            _prepend(BATCH, BATCH_FIRST, "    import os\n    os._exit(0)\n"),
            _prepend(TRAIN, TRAIN_FIRST, "    raise KeyboardInterrupt\n"),
        ),
        fails=P2 + P3 + P4,
        messages=(
            "your code called sys.exit(0)",
            "ended without returning a result",
            "your code raised KeyboardInterrupt",
        ),
    ),
    "atexit_rewrites_results": Case(
        "an atexit hook (registered by a decorator at import) that writes full-score result files",
        "probe children end with os._exit, so it never runs; nor could it write there",
        mistake="mistake_detached_state",
        extra_cells=(
            "import atexit\n\n\n@atexit.register\ndef rewrite():\n"
            "    for path in ('<<OUT>>/results/<<CASE>>.json', 'results.json', '<<SENTINEL>>'):\n"
            "        try:\n"
            "            open(path, 'w').write('<<FAKE>>')\n"
            "        except OSError:\n"
            "            pass\n",
        ),
    ),
    "double_fork_writes_later": Case(
        "predict double-forks a setsid process that writes full-score results 3 s later",
        "the probe child is PID 1 of its own PID namespace: its end kills the escaped process",
        mistake="mistake_summed_loss",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    import os\n"
                "    if os.fork() == 0:\n"
                "        os.setsid()\n"
                "        if os.fork() == 0:\n"
                # From 3 s on, for an hour (longer than the whole batch): unless it is killed,
                # it is still running when the test looks for its marker (its $0), and it
                # overwrites the results the grader wrote, wherever it can see them.
                "            script = ('exec 2>/dev/null; sleep 3; i=0;'\n"
                "                      ' while [ $i -lt 3600 ]; do i=$((i + 1));'\n"
                "                      ' echo pwned > <<OUT>>/results/<<CASE>>.json;'\n"
                "                      ' echo x > <<SENTINEL>>; sleep 1; done')\n"
                "            os.execv('/bin/sh', ['sh', '-c', script, '<<SURVIVOR>>'])\n"
                "        os._exit(0)\n",
            ),
        ),
        root_only=True,
    ),
    "writes_results_directly": Case(
        "predict writes full-score results.json files (the batch's, the working directory's, "
        "Gradescope's) and grades.csv",
        "nothing of the grader is visible or writable from the jail; results come from the "
        "grader process only",
        mistake="mistake_summed_loss",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    for path in ('<<OUT>>/results/<<CASE>>.json', '<<OUT>>/grades.csv',\n"
                "                 'results.json', '/autograder/results/results.json',\n"
                "                 '<<SENTINEL>>'):\n"
                "        try:\n"
                "            open(path, 'w').write('<<FAKE>>')\n"
                "        except OSError:\n"
                "            pass\n",
            ),
        ),
    ),
    # -------------------------------------------------------------- secrets on disk or in memory
    "reads_hidden_tests": Case(
        "names_to_batch prints the hidden test file (to get it into the feedback)",
        "the suites are not in the jail: FileNotFoundError; P3 fails",
        edits=(
            _prepend(
                BATCH,
                BATCH_FIRST,
                "    hidden = '<<SUITES>>/a01_lstm_classifier/test_lstm_classifier.py'\n"
                "    print(open(hidden).read())\n",
            ),
        ),
        fails=P3,
        messages=("FileNotFoundError",),
        root_only=True,
    ),
    "reads_solutions": Case(
        "names_to_batch loads the solution notebook from the repository and runs its answer",
        "the repository is not in the jail: FileNotFoundError; P3 fails",
        edits=(
            (
                BATCH,
                "    return pack_sequence([name_to_tensor(name) for name in names], "
                "enforce_sorted=False)",
                "    import json\n"
                "    nb = json.load(open('<<REPO>>/solutions/01_lstm_classifier/"
                "lstm_classifier.ipynb'))\n"
                "    code = [''.join(c['source']) for c in nb['cells']\n"
                "            if 'def names_to_batch' in ''.join(c['source'])][0]\n"
                "    found = {}\n"
                "    exec(code, globals(), found)\n"
                "    return found['names_to_batch'](names)",
            ),
        ),
        fails=P3,
        messages=("FileNotFoundError",),
        root_only=True,
    ),
    "imports_the_reference": Case(
        "a cell imports names_to_batch from the hidden suite's reference module",
        "the suite's modules are dropped from sys.modules and its files are not in the jail: "
        "the import fails and the stub stays; P3 fails",
        stubs=(BATCH,),
        extra_cells=(
            "from autograder.suites.a01_lstm_classifier.reference import names_to_batch\n",
        ),
        fails=P3,
        messages=("not implemented yet",),
        root_only=True,
    ),
    "caller_frame_expected_values": Case(
        "predict walks up the caller's frames looking for expected values",
        "expected values exist only in the grader process; it finds inputs only; P5 fails",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    import sys\n"
                "    frame = sys._getframe(1)\n"
                "    while frame is not None:\n"
                "        for key, value in frame.f_locals.items():\n"
                "            if key in ('expected', 'want', 'answer', 'languages', 'predicted'):\n"
                "                return value\n"
                "        frame = frame.f_back\n"
                "    return []\n",
            ),
        ),
        fails=P5,
    ),
    "steal_reference_via_frames": Case(
        "names_to_batch walks up the caller's frames to the probe's module and calls the "
        "reference names_to_batch the probes use",
        "the reference of what a probe tests is removed from the worker child before the "
        "submission loads: nothing to find, P3 lost",
        edits=(
            _prepend(
                BATCH,
                BATCH_FIRST,
                "    import sys\n"
                "    frame = sys._getframe(1)\n"
                "    while frame is not None:\n"
                "        ref = frame.f_globals.get('ref')\n"
                "        if ref is not None and hasattr(ref, 'names_to_batch'):\n"
                "            return ref.names_to_batch(names)\n"
                "        frame = frame.f_back\n"
                "    raise NotImplementedError\n",
            ),
        ),
        fails=P3,
    ),
    "steal_reference_via_gc": Case(
        "names_to_batch searches every object the garbage collector tracks for a function "
        "called names_to_batch from another module, and calls it",
        "the reference is freed before the submission loads: only the student's own function "
        "is found, P3 lost",
        edits=(
            _prepend(
                BATCH,
                BATCH_FIRST,
                "    import gc, types\n"
                "    for obj in gc.get_objects():\n"
                "        if isinstance(obj, types.FunctionType) and obj.__name__ == "
                "'names_to_batch' and str(obj.__module__).startswith('autograder'):\n"
                "            return obj(names)\n"
                "    raise NotImplementedError\n",
            ),
        ),
        fails=P3,
    ),
    # ---------------------------------------------------------------------- time and resources
    "alarm_suppressed": Case(
        "predict (for one name) cancels alarms, ignores SIGALRM, SIGTERM, SIGINT and SIGXCPU, "
        "then spins",
        "the deadline is a SIGKILL from outside: that test fails within its limit",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    import signal\n"
                "    if names == ['Kim']:\n"
                "        signal.alarm(0)\n"
                "        signal.setitimer(signal.ITIMER_REAL, 0)\n"
                "        for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT,\n"
                "                  signal.SIGXCPU):\n"
                "            signal.signal(s, signal.SIG_IGN)\n"
                "        while True:\n"
                "            pass\n",
            ),
        ),
        fails=("test_predict_single_name",),
        messages=("did not finish within the",),
    ),
    "huge_matmul": Case(
        "train_step (with Adam) multiplies 4000x4000 matrices forever",
        "killed at the deadline: that test fails",
        edits=(
            _prepend(
                TRAIN,
                TRAIN_FIRST,
                "    a = torch.randn(4000, 4000)\n"
                "    while isinstance(optimizer, torch.optim.Adam):\n"
                "        a = a @ a / 4000\n",
            ),
        ),
        fails=("test_training_reduces_loss",),
        messages=("did not finish within",),
    ),
    "gil_holding_regex": Case(
        "names_to_batch (for one-letter names) runs a catastrophically backtracking regex, "
        "which holds the GIL",
        "killed at the deadline, no in-process timer needed: that test fails",
        edits=(
            _prepend(
                BATCH,
                BATCH_FIRST,
                "    import re\n"
                "    if all(len(n) == 1 for n in names):\n"
                "        re.match(r'(a+)+$', 'a' * 64 + 'b')\n",
            ),
        ),
        fails=("test_names_to_batch_single_letter_names",),
        messages=("did not finish within",),
    ),
    "fork_storm": Case(
        "predict (for one name) forks 300 sleeping processes, then answers correctly",
        "RLIMIT_NPROC stops it at 128; all are killed with the probe; the answer counts",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    import subprocess\n"
                "    for _ in range(300 if names == ['Kim'] else 0):\n"
                "        try:\n"
                "            subprocess.Popen(['sleep', '<<MARKER>>'])\n"
                "        except OSError:\n"
                "            break\n",
            ),
        ),
    ),
    "set_num_threads_10000": Case(
        "torch.set_num_threads(10000) at import time",
        "the worker pins torch to one thread again after loading the submission",
        mistake="mistake_softmax_output",
        extra_cells=("GREEDY = torch.set_num_threads(10000)\n",),
    ),
    "memory_bomb": Case(
        "predict allocates 4 GB, 512 MB at a time, touching a page of every megabyte",
        "RLIMIT_AS (memory_mb) stops it: MemoryError; P5 fails",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    hog = []\n"
                "    for _ in range(8):\n"
                "        chunk = torch.empty(512 * 2**20, dtype=torch.uint8)\n"
                "        chunk[:: 2**20] = 1\n"
                "        hog.append(chunk)\n",
            ),
        ),
        fails=P5,
        messages=("ran out of memory",),
    ),
    "prints_300_mb": Case(
        "names_to_batch prints 300 MB",
        "RLIMIT_FSIZE on the output file: the print fails; the feedback keeps head and tail only",
        edits=(
            _prepend(BATCH, BATCH_FIRST, "    for _ in range(300):\n        print('x' * 2**20)\n"),
        ),
        fails=P3,
        messages=("File too large",),
    ),
    "huge_file": Case(
        "train_step writes a 300 MB file",
        "RLIMIT_FSIZE (and the jail's 64 MB /tmp) stop it; P4 fails",
        edits=(
            _prepend(
                TRAIN,
                TRAIN_FIRST,
                "    with open('big.bin', 'wb') as f:\n"
                "        for _ in range(300):\n"
                "            f.write(b'x' * 2**20)\n",
            ),
        ),
        fails=P4,
        messages=("OSError",),
        root_only=True,
    ),
    "network_to_loopback": Case(
        "predict connects to a listening port on 127.0.0.1 and sends its data, then answers",
        "its network namespace has only a loopback that is down: nothing connects; the answer "
        "counts",
        mistake="mistake_summed_loss",
        edits=(
            _prepend(
                PREDICT,
                PREDICT_FIRST,
                "    import socket\n"
                "    try:\n"
                "        socket.create_connection(('127.0.0.1', <<PORT>>), timeout=2)"
                ".sendall(b'pwned')\n"
                "    except OSError:\n"
                "        pass\n",
            ),
        ),
        root_only=True,
    ),
    "detects_the_grader": Case(
        "names_to_batch is honest on the student's machine; in the grader (PID 1, user nobody) "
        "it kills every process it can and tries to copy the solution",
        "what runs in the grader is what is graded: nothing to kill, nothing to copy; P3 fails",
        edits=(
            _prepend(
                BATCH,
                BATCH_FIRST,
                "    import os, signal\n"
                "    if os.getpid() == 1 and os.getuid() == 65534:\n"
                "        for target in (-1, 0):\n"
                "            try:\n"
                "                os.kill(target, signal.SIGKILL)\n"
                "            except OSError:\n"
                "                pass\n"
                "        try:\n"
                "            return open('<<REPO>>/solutions/01_lstm_classifier/"
                "lstm_classifier.ipynb').read()\n"
                "        except OSError:\n"
                "            return None\n",
            ),
        ),
        fails=P3,
        messages=("PackedSequence",),
        root_only=True,
    ),
    "training_loop_at_import": Case(
        "a class body that trains for hours (class bodies run when the cell is loaded)",
        "every probe times out while loading; the submission's time budget ends it; score 0",
        extra_cells=("class Trainer:\n    for epoch in range(10**12):\n        pass\n",),
        fails=ALL,
        messages=("did not finish within",),
    ),
    # ------------------------------------------------------------------------ broken notebooks
    "huge_notebook": Case(
        "a 21 MB notebook",
        "refused before parsing, with the reason; score 0",
        raw=json.dumps(
            {"cells": [{"cell_type": "markdown", "source": "x" * (21 * 2**20)}], "nbformat": 4}
        ).encode(),
        fails=ALL,
        messages=("notebooks over 20 MB are not graded",),
    ),
    "nested_json": Case(
        "a notebook that is 100 000 nested JSON arrays",
        "refused with the reason; score 0",
        raw=b"[" * 100_000 + b"]" * 100_000,
        fails=ALL,
        messages=("nested too deeply",),
    ),
    "notebook_is_a_fifo": Case(
        "the notebook is a named pipe, which blocks whoever reads it",
        "only regular files are read (without blocking); score 0",
        fifo=True,
        fails=ALL,
        messages=("is not a regular file",),
    ),
    "parser_bomb_cell": Case(
        "an extra cell that overflows Python's parser (`x = - - - ... 1`)",
        "that cell is reported and skipped; the rest is graded",
        mistake="mistake_softmax_output",
        extra_cells=("x = " + "-" * 100_000 + "1\n",),
        messages=("nested too deeply for Python's parser",),
    ),
    # ---------------------------------------------- controls: honest work graded after the above
    "zz_control_correct": Case(
        "(control) the reference solution, graded after every attack", "full marks"
    ),
    "zz_control_mistake": Case(
        "(control) an honest mistake: softmax instead of log-softmax",
        "loses exactly that test",
        mistake="mistake_softmax_output",
    ),
}


def survivor(marker: str, case: str) -> str:
    """The name a case gives a process that must not outlive its probe (its argv[0]): found by
    the test with ``pgrep -af <marker>``, like the ``sleep <marker>`` processes of other cases."""
    return f"{marker}-{case}"


def build(submitted: Path, context: dict[str, str]) -> None:
    """Write every case as submitted/<case>/01_lstm_classifier/lstm_classifier.ipynb (plus its
    extra files), with ``context`` filling the placeholders (<<OUT>> and the like)."""
    root = ex.ROOT
    solution = json.loads((root / "solutions" / ASSIGNMENT / NOTEBOOK).read_text("utf-8"))
    answers = ex._filled_answers(solution)
    released = (root / "assignments" / ASSIGNMENT / NOTEBOOK).read_text("utf-8")
    for name, case in CASES.items():
        folder = submitted / name / ASSIGNMENT
        folder.mkdir(parents=True)
        fill = {**context, "CASE": name, "SENTINEL": f"{context['SENTINELS']}/{name}",
                "SURVIVOR": survivor(context["MARKER"], name)}  # fmt: skip

        def filled(text: str, fill=fill) -> str:
            for key, value in fill.items():
                text = text.replace(f"<<{key}>>", value)
            return text

        if case.raw is not None or case.fifo:
            if case.fifo:
                os.mkfifo(folder / NOTEBOOK)
            else:
                (folder / NOTEBOOK).write_bytes(case.raw)
            continue
        base = ex.A1_VARIANTS[case.mistake].edits if case.mistake else ()
        variant = ex.Variant(
            case.attack,
            edits=tuple((cell, old, filled(new)) for cell, old, new in base + case.edits),
            stubs=case.stubs,
            extra_cells=tuple(filled(c) for c in case.extra_cells),
        )
        nb = json.loads(released)
        ex._fill(nb, answers, variant, name)
        (folder / NOTEBOOK).write_text(json.dumps(nb, indent=1), encoding="utf-8")
        for filename, text in case.files.items():
            (folder / filename).write_text(filled(text), encoding="utf-8")
