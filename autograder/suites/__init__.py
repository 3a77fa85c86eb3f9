"""Hidden test suites, one folder per assignment: ``probes.py`` (runs in the worker, next to
student code) and ``test_*.py`` (runs in the grader, asserts on what the probes return)."""
