"""The hand-written dyck2 that the README uses to measure how far dyck2 is from the engine."""
import itertools
from pathlib import Path

from rasplab.lang import load_program, run
from rasplab.synth.bottomup.grammar import Grammar
from rasplab.tasks import get_task

PROGRAM = Path(__file__).parents[2] / "benchmarks" / "dyck2_by_hand.rasp"


def test_dyck2_by_hand_is_dyck2_on_every_short_input():
    program = load_program(PROGRAM, "program")
    task = get_task("dyck2")
    for n in range(1, 6):
        for x in itertools.product(task.vocab, repeat=n):
            assert list(run(program, list(x))) == list(task.reference(list(x))), x


def test_its_pieces_cost_what_the_readme_says():
    g = Grammar()
    source = PROGRAM.read_text()
    assert g.program_cost(load_program(source, "program")) == 57
    assert g.program_cost(load_program(source, "level")) == 32
