"""What a PROGRAM or MODEL argument names, decided in one place for every command.

In this order: a `.safetensors` model file; `file.rasp` (its last assigned s-op) or
`file.rasp:name`; a library program (a name that is also a task keeps the task, for its
vocabulary and lengths); a task's reference program; any other existing file, as a model file.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rasplab.errors import ModelFileError, RaspNameError


@dataclass(frozen=True)
class Target:
    """A resolved argument: `kind` is "model", "rasp", "library" or "task"; `name` is the
    library or task name."""

    kind: str
    label: str
    program: Any = None
    path: Path | None = None
    name: str | None = None

    @property
    def task(self) -> Any:
        """The task of this name (a library program may be one too), or None; looked up on
        use, since importing the tasks costs start-up time a library program does not need."""
        if self.kind not in ("library", "task"):
            return None
        from rasplab.tasks import TASKS

        return TASKS.get(self.name)


def rasp_file_spec(spec: str) -> tuple[Path, str | None] | None:
    """(path, name or None) for `file.rasp` or `file.rasp:name`, else None."""
    if ".rasp:" in spec:
        path_part, _, name = spec.partition(".rasp:")
        return Path(path_part + ".rasp"), name or None
    if spec.endswith(".rasp"):
        return Path(spec), None
    return None


def resolve(spec: str, *, models: bool = True) -> Target:
    """The target `spec` names (see the module docstring); with `models=False` a model file is
    not a candidate (commands that need a program). Unknown names raise RaspNameError listing
    close matches."""
    if models and spec.endswith(".safetensors"):
        return Target("model", f"model {Path(spec).name}", path=Path(spec))
    rasp = rasp_file_spec(spec)
    if rasp is not None:
        path, name = rasp
        if not path.is_file():
            raise RaspNameError(f"{path}: no such .rasp file")
        from rasplab.lang.parser import load_program  # parsing costs start-up time: on use

        return Target("rasp", f"{path}:{name or 'last'}", load_program(path, name), path=path)
    from rasplab.lang.library import get_program, library_names

    if spec in library_names():
        return Target("library", f"library program {spec}", get_program(spec), name=spec)
    from rasplab.tasks import TASKS

    if spec in TASKS:
        return Target("task", f"task {spec}", TASKS[spec].program, name=spec)
    if models and Path(spec).is_file():  # a model file under another extension
        return Target("model", f"model {Path(spec).name}", path=Path(spec))
    try:
        program = get_program(spec)  # not a library name: its error lists close matches
    except RaspNameError as exc:
        if not models:
            raise
        raise RaspNameError(f"{spec!r} is not a model file, .rasp file, task or library "
                            f"program: {exc}") from None
    return Target("library", f"library program {spec}", program, name=spec)


def model_or_task(spec: str) -> tuple[Path | None, str | None]:
    """For commands that take a model (`distill`): (path, None) for a model file or folder,
    (None, task name) for anything else. A spec that looks like a path (a "/" or a model
    file's extension) but does not exist is a ModelFileError, not a task name."""
    looks_like_path = "/" in spec or spec.endswith((".pt", ".safetensors", ".json"))
    if looks_like_path and not Path(spec).exists():
        raise ModelFileError(f"model not found: {spec}")
    if spec.endswith(".safetensors") or Path(spec).exists():
        return Path(spec), None
    return None, spec
