"""Library files: learned abstractions (and the solutions they came from) as one JSON document.

Format: `{"format": "rasplab-library", "version": 1, "abstractions": [{"name", "body", "arity",
"uses", "utility", "stitch_body", "def"}], "solutions": {task: s-expression}}`; `rasplab synth
--library FILE` and `synthesize(..., method="library", library=FILE)` read it.

Libraries shipped with rasplab are named instead of a file: `curriculum` is the library the loop
learned on the `all` suite, bracket curriculum included, in a run that never solved dyck2 (with
it, dyck2 is found in seconds).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rasplab.errors import ExamplesError, OutputError
from rasplab.synth.library.abstractions import to_def
from rasplab.synth.library.compress import LearnedAbstraction

FORMAT = "rasplab-library"
VERSION = 1
#: libraries shipped with rasplab, by name (`--library curriculum`)
BUILTIN = Path(__file__).parent / "builtin"


def builtin_libraries() -> list[str]:
    """Names of the libraries shipped with rasplab."""
    return sorted(f.stem for f in BUILTIN.glob("*.json"))


@dataclass
class Library:
    """A learned library: abstractions, plus the solved programs they were learned from."""

    abstractions: list[LearnedAbstraction] = field(default_factory=list)
    solutions: dict[str, str] = field(default_factory=dict)

    def defs(self) -> list[str]:
        """The abstractions as readable RASP functions."""
        return [to_def(a) for a in self.abstractions]

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION,
                "abstractions": [{**a.to_json(), "def": to_def(a)} for a in self.abstractions],
                "solutions": dict(self.solutions)}


def save_library(library: Library, path: str | Path) -> None:
    """Write a library file (JSON); OutputError naming the file if it cannot be written."""
    try:
        Path(path).write_text(json.dumps(library.to_json(), indent=1) + "\n")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the library ({exc.strerror or exc})") from None


def load_library(source: "Library | str | Path") -> Library:
    """A library from a file, or a built-in one by name; ExamplesError naming the file and the
    problem when malformed."""
    if isinstance(source, Library):
        return source
    path = Path(source)
    if not path.exists() and str(source) in builtin_libraries():
        path = BUILTIN / f"{source}.json"
    try:
        doc = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ExamplesError(f"{source}: cannot read library file ({exc}); built-in libraries: "
                            f"{', '.join(builtin_libraries())}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ExamplesError(f"{source}: not a rasplab library file (expected \"format\": "
                            f"\"{FORMAT}\")")
    try:
        abstractions = [LearnedAbstraction.from_json(a) for a in doc.get("abstractions", [])]
        solutions = {str(k): str(v) for k, v in dict(doc.get("solutions", {})).items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ExamplesError(f"{source}: malformed abstraction entry ({exc})") from None
    return Library(abstractions, solutions)
