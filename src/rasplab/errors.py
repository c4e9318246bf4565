"""The error families of rasplab; each says where the problem is, so the CLI prints one line."""
from __future__ import annotations

from typing import Callable


class RaspLabError(Exception):
    """Base of every error rasplab reports to a user (the CLI prints one line, exit 2)."""

    exit_code = 2


class RaspSyntaxError(RaspLabError):
    """Malformed `.rasp` source: carries file, line and column."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None,
                 column: int | None = None):
        self.file, self.line, self.column, self.bare = file, line, column, message
        where = ":".join(str(p) for p in (file or "<source>", line, column) if p is not None)
        super().__init__(f"{where}: {message}")


class RaspNameError(RaspLabError):
    """An unknown name: a program, a task, a variable or a file."""


class RaspRuntimeError(RaspLabError):
    """Evaluation failed: names the node and the input on which it failed."""

    def __init__(self, message: str, node: object = None, input: object = None):
        self.node, self.input = node, input
        parts = [message]
        if node is not None:
            parts.append(f"at {describe_node(node)}")
        if input is not None:
            parts.append(f"on input {input!r}")
        super().__init__(" ".join(parts))


class ExamplesError(RaspLabError):
    """A malformed examples file or input: names the file and line."""


class CompileError(RaspLabError):
    """A program that cannot be compiled exactly: names the node and the reason."""


class ModelFileError(RaspLabError):
    """A model file that is missing or unreadable."""


def describe_node(node: object) -> str:
    """A short human label for a program node: its name, else a truncated RASP rendering."""
    name = getattr(node, "name", None)
    if name:
        return f"'{name}'"
    try:
        text = _render_node(node)
    except Exception:  # pragma: no cover - description must never fail
        text = type(node).__name__
    return f"'{text[:80]}'"


def _type_name(node: object) -> str:
    return type(node).__name__


#: renders an unnamed node for `describe_node`; `rasplab.lang` installs its RASP printer when
#: imported (every node comes from there), so this module imports no stage
_render_node: Callable[[object], str] = _type_name


def set_node_renderer(render: Callable[[object], str]) -> None:
    """Install the function that renders unnamed nodes in error messages (the RASP printer)."""
    global _render_node
    _render_node = render


class NoProgramError(RaspLabError):
    """A search that found no program at all within its budget: says how many inputs and how
    long (the CLI names the options that widen the search)."""


class UsageError(RaspLabError):
    """A command-line argument that is missing, out of its allowed range or not allowed with
    another: names the argument and what it allows."""


class OutputError(RaspLabError):
    """An output path that cannot be written: names the argument, the path and why."""
