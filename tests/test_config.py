"""grading.yml: loads, validates with messages that name the key, and matches the suites."""

from __future__ import annotations

import ast
import json
import re

import pytest
import yaml

from autograder.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config

GOOD = {
    "defaults": {"test_timeout": 5},
    "assignments": {
        "selftest": {
            "notebook": "x.ipynb",
            "suite": "selftest",
            "problems": {"p": {"tests": {"test_add_integers": 1, "test_shout": {"points": 2}}}},
        }
    },
}


def _with(path: list, value):
    raw = json.loads(json.dumps(GOOD))
    node = raw
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return raw


def test_good_config_parses():
    a = parse_config(GOOD).assignment("selftest")
    assert a.max_score == 3
    assert a.tests["test_shout"].timeout == 5


@pytest.mark.parametrize(
    "path, value, needle",
    [
        (["assignments", "selftest", "problems", "p", "tests", "test_shout"], "two",
         "assignments.selftest.problems.p.tests.test_shout.points"),
        (["assignments", "selftest", "problems", "p", "tests", "test_shout"], -1,
         "test_shout.points"),
        (["assignments", "selftest", "suite"], "nope", "assignments.selftest.suite"),
        (["assignments", "selftest", "notebook"], "x.py", "assignments.selftest.notebook"),
        (["assignments", "selftest", "problems", "p", "tests", "shout"], 1, "tests.shout"),
        (["assignments", "selftest", "memory_mb"], "lots", "assignments.selftest.memory_mb"),
        (["defaults", "colour"], "red", "defaults: unknown key(s) colour"),
        (["assignments", "selftest", "problems"], KeyError, "assignments.selftest.problems"),
        (["assignments", "selftest", "problems", "p", "tests", "test_shout"],
         {"points": 1, "visibility": "public"}, "test_shout.visibility"),
    ],
)  # fmt: skip
def test_bad_config_names_the_key(path, value, needle):
    with pytest.raises(ConfigError, match=re.escape(needle)):
        parse_config(_with(path, value))


def test_unreadable_yaml_is_a_clear_error(tmp_path):
    bad = tmp_path / "grading.yml"
    bad.write_text("assignments: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_repo_config_matches_hidden_suites():
    """Every graded test exists in its suite, and every suite test is graded."""
    config = load_config(DEFAULT_CONFIG)
    for assignment in config.assignments.values():
        defined = set()
        for f in assignment.suite_dir.glob("test_*.py"):
            tree = ast.parse(f.read_text())
            defined |= {
                n.name
                for n in tree.body
                if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")
            }
        assert defined == set(assignment.tests), assignment.id


def test_repo_config_points_match_notebook_grade_cells():
    """nbgrader's grade cells carry the same points per problem as grading.yml."""
    config = load_config(DEFAULT_CONFIG)
    for assignment in config.assignments.values():
        nb = json.loads(assignment.released_notebook.read_text())
        cells = {
            c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"].get("points")
            for c in nb["cells"]
            if c["metadata"].get("nbgrader", {}).get("grade")
        }
        assert cells == {p.name: p.points for p in assignment.problems}


def test_hidden_asserts_all_carry_a_message():
    """The assert message is the student's feedback: a bare assert would say nothing."""
    config = yaml.safe_load(DEFAULT_CONFIG.read_text())
    for spec in config["assignments"].values():
        from autograder.config import SUITES_DIR

        for f in (SUITES_DIR / spec["suite"]).glob("test_*.py"):
            for node in ast.walk(ast.parse(f.read_text())):
                if isinstance(node, ast.Assert):
                    assert node.msg is not None, f"{f.name}:{node.lineno} assert without message"
