"""DreamCoder's dreaming phase: a recognition model that predicts a task's productions.

`dream` samples programs from the grammar and runs them on task-like inputs; `train_recognition`
fits a `RecognitionModel` (an examples-set encoder and a per-production head) on dreams plus
solved tasks; `recognition_weights` turns its predictions for a task into production costs for
the bottom-up engine; `save_recognition`/`load_recognition` keep it as safetensors.
"""
from rasplab.synth.recognition.dreams import Dream, ProgramSampler, dream, fitted_grammar
from rasplab.synth.recognition.guided import guided_search
from rasplab.synth.recognition.model import (
    RecognitionConfig,
    RecognitionModel,
    load_recognition,
    save_recognition,
)
from rasplab.synth.recognition.productions import PRODUCTIONS, used_productions
from rasplab.synth.recognition.train import TrainConfig, train_recognition
from rasplab.synth.recognition.weights import (
    costs_from_probabilities,
    recognition_grammar,
    recognition_weights,
)

__all__ = ["Dream", "PRODUCTIONS", "ProgramSampler", "RecognitionConfig", "RecognitionModel",
           "TrainConfig", "costs_from_probabilities", "dream", "fitted_grammar", "guided_search",
           "load_recognition", "recognition_grammar", "recognition_weights", "save_recognition",
           "train_recognition", "used_productions"]
