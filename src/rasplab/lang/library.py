"""The standard library: the paper's and Tracr's example programs, written in `.rasp`.

Each program lives in `stdlib/<name>.rasp` and is the variable of that name in its file; the
prelude `stdlib/rasplib.rasp` (the original RASP library) is loaded before every file. Parsed
programs are kept on disk (keyed by a hash of the library and the language's sources), so a
command that runs a library program neither imports the parser nor parses the prelude.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

from rasplab.errors import RaspNameError
from rasplab.lang.ast import Node
from rasplab.paths import cache_root

STDLIB_DIR = Path(__file__).with_name("stdlib")
#: files in stdlib/ that hold helpers rather than a program of their own name
_NOT_PROGRAMS = {"rasplib"}


def library_names() -> list[str]:
    """The names of the library programs, sorted."""
    return sorted(p.stem for p in STDLIB_DIR.glob("*.rasp")
                  if p.stem not in _NOT_PROGRAMS and not p.stem.startswith("_"))


def library_path(name: str) -> Path:
    """The `.rasp` file defining program `name`; RaspNameError (with close matches) if none."""
    if name not in library_names():
        import difflib  # only to word the error

        close = difflib.get_close_matches(name, library_names(), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise RaspNameError(f"no library program {name!r}{hint} "
                            f"(known: {' '.join(library_names())})")
    return STDLIB_DIR / f"{name}.rasp"


def library_source(name: str) -> str:
    """The `.rasp` source text of program `name`."""
    return library_path(name).read_text()


@lru_cache(maxsize=None)
def get_program(name: str) -> Node:
    """Library program `name`, parsed once (the variable `name` of `stdlib/<name>.rasp`); from
    the on-disk cache when the library and the parser are unchanged since it was parsed."""
    path = library_path(name)
    cached = _cache_file(name)
    if cached is not None:
        try:
            with open(cached, "rb") as f:
                program = pickle.load(f)
            if isinstance(program, Node):
                return program
        except Exception:  # missing, truncated or unreadable: parse it again
            pass
    from rasplab.lang.parser import load_program  # the parser loads the prelude from stdlib/

    program = load_program(path, name)
    if cached is not None:
        _store(cached, program)
    return program


_LANG_DIR = Path(__file__).parent


def cache_dir() -> Path:
    """Where parsed library programs are kept: `$RASPLAB_CACHE/programs`, else
    `~/.cache/rasplab/programs` (the root that trained models share)."""
    return cache_root() / "programs"


@lru_cache(maxsize=1)
def _sources_digest() -> str | None:
    """A hash of everything a parsed library program depends on: every `.rasp` file of the
    library, the grammar, the language's modules and the Python version (so a cached program
    is never stale); None when they cannot be read."""
    digest = hashlib.sha256(repr(sys.version_info[:2]).encode())
    try:
        files = sorted([*STDLIB_DIR.glob("*.rasp"), *_LANG_DIR.glob("*.py"),
                        *_LANG_DIR.glob("*.lark")])
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()[:20]


def _cache_file(name: str) -> Path | None:
    digest = _sources_digest()
    return None if digest is None else cache_dir() / f"{name}-{digest}.pickle"


def _store(path: Path, program: Node) -> None:
    """Write the cache entry atomically (a concurrent reader sees all or nothing); drop older
    entries of the same program. A cache that cannot be written is skipped silently."""
    try:
        data = pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        stem = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{stem}-*.pickle"):
            if old != path and old.name.rsplit("-", 1)[0] == stem:
                old.unlink(missing_ok=True)
    except Exception:  # a read-only home, a full disk, a program holding a Python callable
        pass


__all__ = ["library_names", "library_path", "library_source", "get_program", "cache_dir",
           "STDLIB_DIR"]
