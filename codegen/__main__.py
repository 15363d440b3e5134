"""Regenerate every generated file, or with ``--check`` report the ones out of date.

Usage: ``python -m codegen [--check]`` (or ``nox -s codegen [-- --check]``).

Each emitter is a function ``emit(apis, root) -> dict[Path, str]`` returning whole file
contents; registering one more (the sync facade's, say) is one line in `EMITTERS`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from codegen import (
    GENERATOR_VERSION,
    emit_chat,
    emit_docs,
    emit_errors,
    emit_models,
    emit_operations,
    emit_reserved,
    emit_resources,
    emit_summaries,
    emit_sync,
    overlay,
)
from codegen.build import ROOT, load_apis
from codegen.ir import Api
from codegen.writer import MARKER, format_python, stale_files, write_files

Emitter = Callable[[tuple[Api, ...], Path], dict[Path, str]]

EMITTERS: list[Emitter] = [
    emit_models.emit,
    emit_resources.emit,
    emit_operations.emit,
    emit_docs.emit,
    emit_sync.emit,
    emit_reserved.emit,
    emit_errors.emit,
    # The Chat API: its own document and client, apart from the five Cloud APIs.
    emit_chat.emit,
    emit_summaries.emit,
]


def provenance(apis: tuple[Api, ...], root: Path) -> dict[Path, str]:
    """The one record of what the generated files come from."""
    record = {
        "generated": MARKER,
        "generator_version": GENERATOR_VERSION,
        "sources": {
            a.name: {"path": a.source, "title": a.title, "version": a.version, "sha256": a.sha256}
            # The Chat API's document is generated from too, apart from the five.
            for a in (*apis, emit_chat.load_chat_api())
        },
    }
    path = root / "botpress_async" / "_generated_provenance.json"
    return {path: json.dumps(record, indent=1) + "\n"}


def generate(root: Path = ROOT) -> dict[Path, str]:
    """Every generated file's final content (Python formatted and lint-fixed), by path."""
    apis = load_apis()
    files: dict[Path, str] = {}
    for emitter in [*EMITTERS, provenance]:
        files.update(emitter(apis, root))
    return {
        path: format_python(text, path) if path.suffix == ".py" else text
        for path, text in files.items()
    }


def overlay_complete(partial: bool = False) -> bool:
    """Print what the overlay lacks or names wrongly; whether the check passes.

    A newer document with an undescribed operation or parameter fails here, naming it.
    """
    problems = [
        line for api in load_apis() for line in overlay.coverage(api, overlay.overlay_for(api.name))
    ]
    for line in problems:
        print(f"overlay: {line}")
    if problems and not partial:
        print(
            f"the overlay misses or misnames {len(problems)} entries: describe them in "
            "botpress_async/_openapi/overlay/<api>.toml",
            file=sys.stderr,
        )
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Run the generator; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--check", action="store_true", help="report stale files, write nothing")
    parser.add_argument(
        "--partial-overlay",
        action="store_true",
        help="with --check: report what the overlay lacks, but do not fail on it",
    )
    args = parser.parse_args(argv)
    files = generate(ROOT)
    if args.check:
        if not overlay_complete(args.partial_overlay):
            return 1
        problems = stale_files(files, ROOT)
        for line in problems:
            print(line)
        if problems:
            print("generated files are out of date: run `nox -s codegen`", file=sys.stderr)
            return 1
        print(f"{len(files)} generated files are up to date")
        return 0
    changed = write_files(files, ROOT)
    for path in changed:
        print(f"wrote {path.relative_to(ROOT)}")
    print(f"{len(files)} generated files, {len(changed)} changed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
