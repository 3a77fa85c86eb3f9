"""The red-team corpus: hostile and broken submissions, graded by tests/test_redteam.py."""
