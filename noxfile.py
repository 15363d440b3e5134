"""Automation for the Botpress SDK: tests, lint, typing, code generation, docs and benchmarks.

Every session runs in a virtual environment made with the interpreter that runs nox.
"""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["codegen_check", "lint", "typing", "tests"]

DEV = ".[dev]"
# The generator formats its output with ruff: one pinned release, so that a new ruff cannot change
# generated files (and fail codegen_check) without a change here.
LINT_DEPS = ["ruff==0.17.6"]
TYPING_DEPS = ["mypy>=1.11", "pyright[nodejs]==1.1.414"]
# The generator reads the overlay TOML files; Python 3.10 has no tomllib.
CODEGEN_DEPS = [*LINT_DEPS, "tomli>=1.1; python_version < '3.11'"]
# black formats the signatures mkdocstrings renders; without it they stay on one line.
DOCS_DEPS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26", "black>=24"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against loopback servers, with the coverage gate.

    The gate (``fail_under`` in pyproject.toml) holds for the whole suite only: with
    arguments (``nox -s tests -- tests/core``) the chosen tests run without coverage.
    """
    session.install("-e", DEV)
    if session.posargs:
        session.run("pytest", *session.posargs)
    else:
        session.run("pytest", "--cov", "--cov-report=term")


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff (lint and format)."""
    session.install(*LINT_DEPS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typing(session: nox.Session) -> None:
    """Type-check the packages with mypy (strict), and the pinned public types with pyright too."""
    session.install(*TYPING_DEPS, "-e", DEV)
    session.run("mypy")
    session.run("pyright")


@nox.session
def codegen(session: nox.Session) -> None:
    """Regenerate the generated modules; `-- --check` fails on any difference instead."""
    session.install(*CODEGEN_DEPS, "-e", ".")
    session.run("python", "-m", "codegen", *session.posargs)


@nox.session(name="codegen_check")
def codegen_check(session: nox.Session) -> None:
    """Fail when a generated module is stale or orphaned, or the overlay misses a description."""
    session.install(*CODEGEN_DEPS, "-e", ".")
    session.run("python", "-m", "codegen", "--check")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/; any warning fails the build (--strict)."""
    session.install(*DOCS_DEPS, "-e", ".")
    # The theme's notice about its own future is not about this project's docs.
    session.run("mkdocs", "build", "--strict", *session.posargs, env={"NO_MKDOCS_2_WARNING": "1"})


@nox.session
def bench(session: nox.Session) -> None:
    """Measure the performance table against its floors, in one run, and print the ratios.

    ``-- --quick`` uses small counts (a few minutes); ``-- sync tables`` prints those
    modules in full instead, ``-- all`` every module.
    """
    session.install("-e", DEV)
    session.run("python", "-m", "benchmarks", *session.posargs)
