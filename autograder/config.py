"""grading.yml: the single source of truth for what is graded and for how many points.

Loaded into frozen dataclasses and validated on load; every error names the offending key.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO_ROOT / "grading.yml"
SUITES_DIR = Path(__file__).resolve().parent / "suites"
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


class ConfigError(ValueError):
    """grading.yml is missing, malformed, or inconsistent."""


@dataclass(frozen=True)
class TestSpec:
    name: str
    problem: str
    points: float
    timeout: float
    visibility: str


@dataclass(frozen=True)
class Problem:
    name: str
    title: str
    tests: tuple[TestSpec, ...]

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    notebook: str
    suite: str
    submission_timeout: float
    memory_mb: int
    seed: int
    problems: tuple[Problem, ...]

    @property
    def tests(self) -> dict[str, TestSpec]:
        return {t.name: t for p in self.problems for t in p.tests}

    @property
    def max_score(self) -> float:
        return sum(p.points for p in self.problems)

    @property
    def suite_dir(self) -> Path:
        return SUITES_DIR / self.suite

    @property
    def released_notebook(self) -> Path:
        return REPO_ROOT / "assignments" / self.id / self.notebook


@dataclass(frozen=True)
class GradingConfig:
    assignments: dict[str, Assignment]

    def assignment(self, assignment_id: str) -> Assignment:
        try:
            return self.assignments[assignment_id]
        except KeyError:
            known = ", ".join(sorted(self.assignments)) or "none"
            raise ConfigError(
                f"unknown assignment {assignment_id!r} (grading.yml has: {known})"
            ) from None


def load_config(path: Path | str = DEFAULT_CONFIG) -> GradingConfig:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path.name} is not valid YAML: {exc}") from None
    return parse_config(raw, source=path.name)


def parse_config(raw: Any, source: str = "grading.yml") -> GradingConfig:
    root = _mapping(raw, source)
    _only(root, {"defaults", "assignments"}, source)
    defaults = _mapping(root.get("defaults", {}), f"{source}: defaults")
    _only(
        defaults,
        {"test_timeout", "submission_timeout", "memory_mb", "seed", "visibility"},
        f"{source}: defaults",
    )
    assignments_raw = _mapping(root.get("assignments"), f"{source}: assignments")
    if not assignments_raw:
        raise ConfigError(f"{source}: assignments: at least one assignment is required")
    assignments = {
        str(aid): _assignment(str(aid), spec, defaults, f"{source}: assignments.{aid}")
        for aid, spec in assignments_raw.items()
    }
    return GradingConfig(assignments)


def _assignment(aid: str, raw: Any, defaults: dict, where: str) -> Assignment:
    spec = _mapping(raw, where)
    _only(
        spec,
        {"title", "notebook", "suite", "problems"} | set(defaults) | _DEFAULT_KEYS,
        where,
    )
    settings = {**defaults, **{k: v for k, v in spec.items() if k in _DEFAULT_KEYS}}
    notebook = _string(spec.get("notebook"), f"{where}.notebook")
    if not notebook.endswith(".ipynb"):
        raise ConfigError(f"{where}.notebook: must name an .ipynb file, got {notebook!r}")
    suite = _string(spec.get("suite"), f"{where}.suite")
    if not (SUITES_DIR / suite).is_dir():
        raise ConfigError(f"{where}.suite: no hidden suite folder autograder/suites/{suite}")
    problems_raw = _mapping(spec.get("problems"), f"{where}.problems")
    if not problems_raw:
        raise ConfigError(f"{where}.problems: at least one problem is required")
    problems, seen = [], set()
    for pname, praw in problems_raw.items():
        pwhere = f"{where}.problems.{pname}"
        pspec = _mapping(praw, pwhere)
        _only(pspec, {"title", "tests"}, pwhere)
        tests_raw = _mapping(pspec.get("tests"), f"{pwhere}.tests")
        if not tests_raw:
            raise ConfigError(f"{pwhere}.tests: at least one test is required")
        tests = []
        for tname, traw in tests_raw.items():
            twhere = f"{pwhere}.tests.{tname}"
            if not str(tname).startswith("test_"):
                raise ConfigError(f"{twhere}: hidden test names start with 'test_'")
            if tname in seen:
                raise ConfigError(f"{twhere}: test listed under two problems")
            seen.add(tname)
            tests.append(_test(str(tname), str(pname), traw, settings, twhere))
        title = _string(pspec.get("title", pname), f"{pwhere}.title")
        problems.append(Problem(str(pname), title, tuple(tests)))
    return Assignment(
        id=aid,
        title=_string(spec.get("title", aid), f"{where}.title"),
        notebook=notebook,
        suite=suite,
        submission_timeout=_positive(
            settings.get("submission_timeout", 300), f"{where}.submission_timeout"
        ),
        memory_mb=int(_positive(settings.get("memory_mb", 3072), f"{where}.memory_mb")),
        seed=_integer(settings.get("seed", 0), f"{where}.seed"),
        problems=tuple(problems),
    )


_DEFAULT_KEYS = {"test_timeout", "submission_timeout", "memory_mb", "seed", "visibility"}


def _test(name: str, problem: str, raw: Any, settings: dict, where: str) -> TestSpec:
    spec = {"points": raw} if not isinstance(raw, dict) else raw
    _only(spec, {"points", "timeout", "visibility"}, where)
    visibility = spec.get("visibility", settings.get("visibility", "visible"))
    if visibility not in VISIBILITIES:
        raise ConfigError(f"{where}.visibility: must be one of {', '.join(VISIBILITIES)}")
    return TestSpec(
        name=name,
        problem=problem,
        points=_positive(spec.get("points"), f"{where}.points"),
        timeout=_positive(
            spec.get("timeout", settings.get("test_timeout", 30)), f"{where}.timeout"
        ),
        visibility=visibility,
    )


def _mapping(value: Any, where: str) -> dict:
    if value is None:
        raise ConfigError(f"{where}: missing")
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(value).__name__}")
    return value


def _only(mapping: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in mapping if k not in allowed)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}")


def _string(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: expected a non-empty string, got {value!r}")
    return value


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: expected a positive number, got {value!r}")
    return float(value)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    return value
