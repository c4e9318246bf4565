"""The recognition model: an examples-set encoder and a per-production head; safetensors I/O.

It predicts, for each engine production, the probability that a program reproducing the
examples uses it. The file keeps the production names and the training prior (how often each
production is used in the training programs) as metadata, so that costs can be set relative to
what is usual.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch
from torch import nn

if TYPE_CHECKING:
    from rasplab.synth.bottomup.grammar import Grammar

from rasplab.errors import ModelFileError
from rasplab.synth.recognition.encoder import N_FEATURES, ExamplesEncoder, featurise
from rasplab.synth.recognition.productions import PRODUCTIONS

KIND = "recognition"


@dataclass
class RecognitionConfig:
    """Sizes of the model and of the examples set it reads."""

    hidden: int = 64
    max_examples: int = 16
    productions: list[str] = field(default_factory=lambda: list(PRODUCTIONS))
    #: the production costs the dreams were drawn from (the grammar refitted to the solved
    #: tasks); predicted costs are set relative to these. None: the engine's defaults.
    base_weights: dict[str, int] | None = None


class RecognitionModel(nn.Module):
    """Examples set -> one logit per production (multi-label: a program uses several)."""

    def __init__(self, config: RecognitionConfig | None = None):
        super().__init__()
        self.config = config or RecognitionConfig()
        c = self.config
        self.encoder = ExamplesEncoder(N_FEATURES, c.hidden)
        self.head = nn.Sequential(nn.Linear(self.encoder.out_dim, 2 * c.hidden), nn.ReLU(),
                                  nn.Linear(2 * c.hidden, len(c.productions)))
        #: fraction of training programs using each production (set by training)
        self.register_buffer("prior", torch.full((len(c.productions),), 0.5))

    def forward(self, feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(feats, mask))

    @torch.no_grad()
    def predict(self, inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]]
                ) -> dict[str, float]:
        """Production name -> probability that a program for these examples uses it."""
        self.eval()
        feats, mask = featurise(inputs, outputs, self.config.max_examples)
        logits = self(torch.from_numpy(feats)[None], torch.from_numpy(mask)[None])[0]
        probs = torch.sigmoid(logits).numpy()
        return {name: float(p) for name, p in zip(self.config.productions, probs)}

    @torch.no_grad()
    def embed(self, inputs: Sequence[Sequence[Any]], outputs: Sequence[Sequence[Any]]
              ) -> np.ndarray:
        """The examples set's code (the encoder's output), scaled to unit length: tasks the
        model reads alike lie close (used to find solved tasks related to a new one)."""
        self.eval()
        feats, mask = featurise(inputs, outputs, self.config.max_examples)
        code = self.encoder(torch.from_numpy(feats)[None], torch.from_numpy(mask)[None])[0]
        code = code.numpy().astype(np.float64)
        return code / max(float(np.linalg.norm(code)), 1e-12)

    def base_grammar(self) -> "Grammar":
        """The grammar the model's costs start from (the one its dreams were drawn from)."""
        from rasplab.synth.bottomup.grammar import Grammar

        g = Grammar()
        return g.with_weights(self.config.base_weights) if self.config.base_weights else g

    def priors(self) -> dict[str, float]:
        """Production name -> how often training programs used it."""
        return {name: float(p) for name, p in zip(self.config.productions, self.prior)}


def save_recognition(model: RecognitionModel, path: str | os.PathLike[str]) -> Path:
    """Write the model as safetensors, its config as metadata; returns the path."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    meta = {"rasplab_kind": KIND, "config": json.dumps(asdict(model.config))}
    try:
        save_file(tensors, str(path), metadata=meta)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot write the recognition model ({exc})") from None
    return path


def load_recognition(path: str | os.PathLike[str]) -> RecognitionModel:
    """A model written by `save_recognition`; ModelFileError if missing or of another kind."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such recognition model file")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises its own types for corrupt files
        raise ModelFileError(f"{path}: not a safetensors file ({exc})") from None
    if meta.get("rasplab_kind") != KIND:
        raise ModelFileError(f"{path}: not a recognition model (kind "
                             f"{meta.get('rasplab_kind')!r}; train one with rasplab library "
                             "--recognition or benchmarks/bench_recognition.py)")
    try:
        config = RecognitionConfig(**json.loads(meta["config"]))
        model = RecognitionModel(config)
        model.load_state_dict(tensors)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: recognition model does not load ({exc})") from None
    model.eval()
    return model


def label_vector(productions: Sequence[str] | frozenset[str], names: Sequence[str]
                 ) -> np.ndarray:
    """The multi-hot target of a program's used productions over `names`."""
    used = set(productions)
    return np.array([name in used for name in names], dtype=np.float32)
