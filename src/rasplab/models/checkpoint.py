"""Trained models on disk: safetensors weights, with config, vocabularies and task as metadata.

Only safetensors is ever read (no pickles). The metadata key `rasplab_kind` is "trained" so that
`rasplab run` can tell a trained model from a compiled one.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from rasplab.errors import ModelFileError
from rasplab.models.config import TransformerConfig
from rasplab.models.trained import TrainedModel
from rasplab.models.transformer import Transformer

KIND = "trained"
FORMAT_VERSION = "1"


def save_model(model: TrainedModel, path: str | os.PathLike[str]) -> Path:
    """Write `model` to `path` (a .safetensors file); returns the path."""
    from safetensors.torch import save_file

    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().contiguous().clone() for k, v in model.net.state_dict().items()}
    meta = {
        "rasplab_kind": KIND,
        "format_version": FORMAT_VERSION,
        "config": json.dumps(model.net.cfg.to_dict()),
        "vocab": json.dumps(list(model.vocab)),
        "output_vocab": json.dumps(list(model.output_vocab)),
        "task": model.task or "",
        "max_len": str(model.max_len),
        "min_len": str(model.min_len),
        "info": json.dumps(model.info, default=str),
    }
    try:
        save_file(tensors, str(path), metadata=meta)
    except Exception as exc:  # OSError, or safetensors' own error for a missing folder
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelFileError(f"cannot write model file {str(path)!r}: {reason}") from None
    return path


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The safetensors metadata of a model file (raises ModelFileError if unreadable)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"model file {str(path)!r} does not exist")
    try:
        with safe_open(str(path), framework="pt") as f:
            return dict(f.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise ModelFileError(f"model file {str(path)!r} is not a readable safetensors file: "
                             f"{exc}") from None


def load_model(path: str | os.PathLike[str]) -> TrainedModel:
    """Read a model written by `save_model`; ModelFileError if missing, corrupt or not trained."""
    from safetensors.torch import load_file

    meta = read_metadata(path)
    if meta.get("rasplab_kind") != KIND:
        raise ModelFileError(f"{str(path)!r} is not a trained rasplab model "
                             f"(rasplab_kind={meta.get('rasplab_kind')!r})")
    try:
        cfg = TransformerConfig.from_dict(json.loads(meta["config"]))
        vocab: list[Any] = json.loads(meta["vocab"])
        output_vocab: list[Any] = json.loads(meta["output_vocab"])
        info = json.loads(meta.get("info") or "{}")
        net = Transformer(cfg)
        net.load_state_dict(load_file(str(path)))
    except (KeyError, ValueError, TypeError, RuntimeError) as exc:
        raise ModelFileError(f"model file {str(path)!r} is damaged: {exc}") from None
    net.eval()
    return TrainedModel(net=net, vocab=tuple(vocab), output_vocab=tuple(output_vocab),
                        task=meta.get("task") or None, max_len=int(meta.get("max_len", 0)),
                        min_len=int(meta.get("min_len", 1)), info=info)


def is_trained_model_file(path: str | os.PathLike[str]) -> bool:
    """True when `path` is a safetensors file written by `save_model`."""
    try:
        return read_metadata(path).get("rasplab_kind") == KIND
    except ModelFileError:
        return False


__all__ = ["save_model", "load_model", "read_metadata", "is_trained_model_file"]
