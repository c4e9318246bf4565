"""Named tasks (vocabulary, lengths, input distribution, reference, program) and examples files."""
from typing import Any

from rasplab.tasks.examples import (
    Example,
    format_examples,
    load_examples,
    load_inputs,
    make_dataset,
    parse_input_lines,
    parse_lines,
    write_examples,
)

#: the registry is imported on first use: it brings in numpy.random, which reading or writing
#: an examples file (`rasplab run --examples`, `synth`) does not need
_REGISTRY = ("SUITES", "TASKS", "Task", "get_suite", "get_task", "list_tasks")


def __getattr__(name: str) -> Any:
    if name in _REGISTRY:
        from rasplab.tasks import registry

        value = getattr(registry, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rasplab.tasks' has no attribute {name!r}")


__all__ = ["Example", "format_examples", "load_examples", "load_inputs", "make_dataset",
           "parse_input_lines", "parse_lines", "write_examples", "SUITES", "TASKS", "Task",
           "get_suite", "get_task", "list_tasks"]
