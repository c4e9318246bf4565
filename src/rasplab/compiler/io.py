"""Compiled models on disk: safetensors weights, with everything needed to run them (vocabulary,
sizes, output decoding, the program as an s-expression) in the file's string metadata."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from safetensors import safe_open
from safetensors.torch import save_file

from rasplab.compiler.model import CompiledConfig, CompiledTransformer
from rasplab.errors import ModelFileError

KIND = "compiled"
FORMAT_VERSION = "1"


def encode_value(v: Any) -> Any:
    """A program value as JSON (tuples tagged, so they come back as tuples; nan/inf as text)."""
    if isinstance(v, tuple):
        return {"tuple": [encode_value(x) for x in v]}
    if isinstance(v, list):
        return {"list": [encode_value(x) for x in v]}
    if isinstance(v, float) and not math.isfinite(v):
        return {"float": repr(v)}
    if v is None or isinstance(v, bool | int | float | str):
        return v
    raise ModelFileError(f"cannot store value {v!r} of type {type(v).__name__} in a model file")


def decode_value(v: Any) -> Any:
    if isinstance(v, dict):
        if "tuple" in v:
            return tuple(decode_value(x) for x in v["tuple"])
        if "list" in v:
            return [decode_value(x) for x in v["list"]]
        if "float" in v:
            return float(v["float"])
    return v


def save_compiled(model: CompiledTransformer, path: str | Path) -> None:
    """Write the model's weights and metadata (`rasplab_kind` = "compiled") to `path`."""
    cfg = model.cfg.to_dict()
    cfg["vocab"] = [encode_value(v) for v in cfg["vocab"]]
    if cfg["output_values"] is not None:
        cfg["output_values"] = [encode_value(v) for v in cfg["output_values"]]
    meta = {"rasplab_kind": KIND, "format_version": FORMAT_VERSION,
            "config": json.dumps(cfg), "program": model.cfg.program or "",
            "vocab": json.dumps(cfg["vocab"]), "max_len": str(model.cfg.max_len),
            "output_kind": model.cfg.output_kind, "causal": "1" if model.cfg.causal else "0"}
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    folder = Path(path).parent
    if not folder.is_dir():  # one clear line, not a traceback from the writer
        raise ModelFileError(f"{path}: cannot write the model: folder {folder} does not exist")
    try:
        save_file(tensors, str(path), metadata=meta)
    except Exception as exc:  # safetensors' own error type for I/O failures
        raise ModelFileError(f"{path}: cannot write the model ({exc})") from None


def load_compiled(path: str | Path) -> CompiledTransformer:
    """Read a model written by `save_compiled`; ModelFileError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:
        raise ModelFileError(f"{path}: not a readable safetensors file ({exc})") from None
    if meta.get("rasplab_kind") != KIND:
        raise ModelFileError(f"{path}: not a compiled rasplab model "
                             f"(rasplab_kind={meta.get('rasplab_kind')!r})")
    try:
        raw = json.loads(meta["config"])
        raw["vocab"] = [decode_value(v) for v in raw["vocab"]]
        if raw["output_values"] is not None:
            raw["output_values"] = [decode_value(v) for v in raw["output_values"]]
        cfg = CompiledConfig(**raw)
        dtype = tensors["W_E"].dtype
        model = CompiledTransformer(cfg, dtype)
        model.load_state_dict(tensors)
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: damaged compiled model ({type(exc).__name__}: {exc})"
                             ) from None
    return model
