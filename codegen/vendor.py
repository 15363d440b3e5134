"""Copy the Botpress OpenAPI documents into the project as data, without their prose.

Run as ``python -m codegen.vendor DIR`` where DIR holds the published documents. The
copies keep every structural fact (paths, parameters, schemas, enums) and drop the
human-written texts (``description``, ``summary``, examples), which belong to Botpress.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from botpress_async._openapi import DOCUMENT_NAMES, METHODS

TARGET = Path(__file__).resolve().parent.parent / "botpress_async" / "_openapi"
PROSE_KEYS = frozenset({"description", "summary", "example", "examples", "x-mint", "externalDocs"})


def strip_prose(node: Any, *, under_properties: bool = False) -> Any:
    """Return a copy of a JSON document without its prose annotations.

    Args:
        node: any JSON value.
        under_properties: true when ``node`` maps property names to schemas, where a key
            named ``description`` is a field of the API, not an annotation.
    """
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if not under_properties and key in PROSE_KEYS:
                continue
            out[key] = strip_prose(
                value, under_properties=key == "properties" and not under_properties
            )
        if "tags" in out and isinstance(out["tags"], list) and not under_properties:
            out["tags"] = [t for t in out["tags"] if isinstance(t, str)]
        return out
    if isinstance(node, list):
        return [strip_prose(item) for item in node]
    return node


def vendor(source: Path, target: Path = TARGET) -> dict[str, Any]:
    """Write the stripped documents and a provenance record; return the record."""
    target.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = {"source": "Botpress public API reference (@botpress/api)", "apis": {}}
    for api in DOCUMENT_NAMES:
        raw = (source / f"{api}.openapi.json").read_bytes()
        doc = json.loads(raw)
        stripped = strip_prose(doc)
        (target / f"{api}.json").write_text(
            json.dumps(stripped, indent=1, sort_keys=False, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        record["apis"][api] = {
            "version": doc["info"]["version"],
            "operations": sum(1 for item in doc["paths"].values() for m in item if m in METHODS),
            "sha256_of_published": hashlib.sha256(raw).hexdigest(),
        }
    errors = json.loads((source / "errors.json").read_bytes())
    (target / "errors.json").write_text(
        json.dumps(
            {"errors": [{"status": e["status"], "type": e["type"]} for e in errors["errors"]]},
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )
    (target / "PROVENANCE.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m codegen.vendor DIR_WITH_PUBLISHED_DOCUMENTS")
    print(json.dumps(vendor(Path(sys.argv[1])), indent=1))
