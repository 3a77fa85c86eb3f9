"""The first lines of every benchmark: the exact command and the machine it ran on."""

import os
import platform
import shlex
import sys


def print_header(torch_version: str, details: str = "") -> None:
    print("command:", shlex.join(sys.orig_argv))
    print(
        f"machine: nproc={len(os.sched_getaffinity(0))}, {platform.machine()}, "
        f"python {platform.python_version()}, torch {torch_version}, "
        f"load avg {' / '.join(f'{x:.2f}' for x in os.getloadavg())} (1/5/15 min)"
        + (f", {details}" if details else "")
    )
