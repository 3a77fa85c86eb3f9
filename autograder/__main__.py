import os
import sys

from autograder.cli import main

status = main()
# Every file is written and closed by now; the interpreter's own teardown with torch, pytest and
# matplotlib loaded takes about half a second (bench/README.md (f)), so skip it.
sys.stdout.flush()
sys.stderr.flush()
os._exit(status)
