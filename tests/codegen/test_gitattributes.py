"""Every file the generator writes is marked generated in ``.gitattributes``.

Reviewers and the line counts of hand-written code rely on that marking; a new emitter whose
output is not listed would pass for hand-written code.
"""

from __future__ import annotations

import fnmatch

from codegen.__main__ import ROOT, generate


def _generated_patterns() -> list[str]:
    lines = (ROOT / ".gitattributes").read_text().splitlines()
    return [line.split()[0] for line in lines if "linguist-generated" in line]


def test_every_generated_file_is_marked() -> None:
    patterns = _generated_patterns()
    unmarked = [
        str(path.relative_to(ROOT))
        for path in generate()
        if not any(fnmatch.fnmatch(str(path.relative_to(ROOT)), p) for p in patterns)
    ]
    assert unmarked == [], f"add these to .gitattributes as linguist-generated: {unmarked}"


def test_every_marking_names_a_generated_file() -> None:
    written = [str(path.relative_to(ROOT)) for path in generate()]
    stale = [p for p in _generated_patterns() if not any(fnmatch.fnmatch(w, p) for w in written)]
    assert stale == [], f"these .gitattributes lines match no generated file: {stale}"
