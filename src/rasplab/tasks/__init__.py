"""Named tasks (vocabulary, lengths, input distribution, reference, program) and examples files."""
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
from rasplab.tasks.registry import SUITES, TASKS, Task, get_suite, get_task, list_tasks

__all__ = ["Example", "format_examples", "load_examples", "load_inputs", "make_dataset",
           "parse_input_lines", "parse_lines", "write_examples", "SUITES", "TASKS", "Task",
           "get_suite", "get_task", "list_tasks"]
