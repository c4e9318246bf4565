"""NEAR: top-down synthesis of RASP programs over a differentiable RASP with typed neural holes."""
from rasplab.synth.near.api import synthesize, synthesize_near
from rasplab.synth.near.grammar import (
           Grammar,
           Production,
           get_grammar,
           macro_grammar,
           plain_grammar,
)
from rasplab.synth.near.relaxed import Encoder, RelaxedInputs, relaxed_eval
from rasplab.synth.near.search import SearchConfig

__all__ = ["synthesize", "synthesize_near", "Grammar", "Production", "get_grammar", "macro_grammar",
           "plain_grammar", "Encoder", "RelaxedInputs", "relaxed_eval", "SearchConfig"]
