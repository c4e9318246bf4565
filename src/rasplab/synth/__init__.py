"""Program synthesis: find a RASP program that reproduces input/output examples.

`synthesize(examples, method="bottomup", budget=seconds)` returns a `SynthResult`; methods plug in
through `rasplab.synth.api.register_method`.
"""
from rasplab.synth.api import METHODS, Examples, register_method, synthesize
from rasplab.synth.result import SynthResult

__all__ = ["METHODS", "Examples", "SynthResult", "register_method", "synthesize"]
