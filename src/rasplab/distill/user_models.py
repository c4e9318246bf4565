"""Transformers that users train themselves: Hugging Face causal-LM folders and TransformerLens
state dicts, loaded with their own libraries and run on token ids.

`load_user_model(path, config=...)` gives a `SequenceModel`: logits and attention patterns for
whole id sequences, its input vocabulary size and context length. Nothing is unpickled: `.pt`
files are read with `torch.load(weights_only=True)`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rasplab.errors import ModelFileError

#: sequences per forward pass when a batch of equal-length sequences is run
BATCH = 256


@dataclass
class SequenceModel:
    """A transformer over token ids: `logits(ids)` and `attention(ids)` for whole sequences."""

    module: Any
    kind: str  # "hf" or "tl"
    n_vocab: int  # input vocabulary size
    n_out: int  # logits per position
    context: int | None  # longest sequence the positional embeddings allow
    causal: bool
    description: str

    def _forward(self, batch: Any, attentions: bool = False) -> tuple[Any, Any]:
        if self.kind == "hf":
            out = self.module(input_ids=batch, output_attentions=attentions)
            return out.logits, (out.attentions if attentions else None)
        if attentions:
            logits, cache = self.module.run_with_cache(
                batch, names_filter=lambda n: n.endswith("hook_pattern"))
            layers = sorted(cache.keys(), key=lambda n: int(n.split(".")[1]))
            return logits, [cache[n] for n in layers]
        return self.module(batch), None

    def _groups(self, ids: list[list[int]]) -> list[tuple[int, list[int]]]:
        """Batches to run together: a causal model takes sequences of any lengths padded on
        the right (a position never sees what follows it, so padding changes nothing), a
        bidirectional one only sequences of equal length."""
        if self.causal:
            order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
            return [(0, order)] if order else []
        by_len: dict[int, list[int]] = {}
        for i, x in enumerate(ids):
            by_len.setdefault(len(x), []).append(i)
        return sorted(by_len.items())

    def logits(self, ids: list[list[int]]) -> list[np.ndarray]:
        """(n, n_out) float logits per sequence, run in batches."""
        import torch

        out: list[np.ndarray | None] = [None] * len(ids)
        with torch.no_grad():
            for _, members in self._groups(ids):
                for s in range(0, len(members), BATCH):
                    chunk = members[s: s + BATCH]
                    width = max(len(ids[i]) for i in chunk)
                    batch = torch.tensor([ids[i] + [0] * (width - len(ids[i])) for i in chunk],
                                         dtype=torch.long)
                    logits, _ = self._forward(batch)
                    arr = logits.float().numpy()
                    for j, i in enumerate(chunk):
                        out[i] = arr[j, : len(ids[i])]
        return out  # type: ignore[return-value]

    def attention(self, ids: list[list[int]]) -> dict[str, list[np.ndarray]]:
        """`blocks.L.attn.hook_pattern` -> one (heads, n, n) pattern per sequence."""
        import torch

        raw: dict[str, list[Any]] = {}
        order: list[int] = []
        with torch.no_grad():
            for _, members in self._groups(ids):
                width = max(len(ids[i]) for i in members)
                batch = torch.tensor([ids[i] + [0] * (width - len(ids[i])) for i in members],
                                     dtype=torch.long)
                _, layers = self._forward(batch, attentions=True)
                for layer, pattern in enumerate(layers or ()):
                    arr = pattern.double().numpy()
                    raw.setdefault(f"blocks.{layer}.attn.hook_pattern", []).extend(
                        a[:, : len(ids[i]), : len(ids[i])] for a, i in zip(arr, members))
                order.extend(members)
        back = np.argsort(order)
        return {name: [per[i] for i in back] for name, per in raw.items()}


def _quiet() -> None:
    """Silence library chatter (progress bars, deprecation notes) on the user's terminal."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in ("transformers", "transformer_lens", "torch"):
        logging.getLogger(name).setLevel(logging.ERROR)


def load_hf_folder(folder: Path) -> SequenceModel:
    """A Hugging Face causal LM folder (`config.json` + weights), loaded by `transformers`."""
    if not (folder / "config.json").exists():
        raise ModelFileError(f"{folder}: not a model folder (no config.json in it)")
    try:
        import transformers
    except ImportError:
        raise ModelFileError(f"{folder}: loading Hugging Face models needs the [hf] extra "
                             "(pip install 'rasplab[hf]')") from None
    _quiet()
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    try:
        config = transformers.AutoConfig.from_pretrained(str(folder), local_files_only=True)
    except Exception as exc:
        raise ModelFileError(f"{folder}/config.json: not a configuration transformers can read "
                             f"({_first_line(exc)})") from None
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(
            str(folder), local_files_only=True, attn_implementation="eager")
    except Exception as exc:
        arch = ",".join(getattr(config, "architectures", None) or [config.model_type])
        raise ModelFileError(f"{folder}: transformers cannot load this {arch} model as a causal "
                             f"language model ({_first_line(exc)})") from None
    model.eval()
    context = None
    for attr in ("n_positions", "max_position_embeddings", "n_ctx"):
        value = getattr(config, attr, None)
        if isinstance(value, int):
            context = value
            break
    n_vocab = int(model.get_input_embeddings().weight.shape[0])
    n_out = int(model.get_output_embeddings().weight.shape[0])
    arch = (getattr(config, "architectures", None) or [type(model).__name__])[0]
    return SequenceModel(model, "hf", n_vocab, n_out, context, True,
                         f"{arch} {folder.name} ({config.num_hidden_layers} layers, d_model "
                         f"{config.hidden_size})")


def _tl_config(path: Path) -> Any:
    from transformer_lens import HookedTransformerConfig

    try:
        raw = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: cannot read the TransformerLens config ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(raw, dict):
        raise ModelFileError(f"{path}: a TransformerLens config must be a JSON object")
    import dataclasses

    import torch

    known = {f.name for f in dataclasses.fields(HookedTransformerConfig)}
    kwargs = {k: v for k, v in raw.items() if k in known}
    dtype = kwargs.get("dtype")
    if isinstance(dtype, str):
        kwargs["dtype"] = getattr(torch, dtype.replace("torch.", ""), torch.float32)
    kwargs.pop("device", None)
    kwargs.pop("n_params", None)
    try:
        cfg = HookedTransformerConfig(**kwargs)
    except Exception as exc:
        raise ModelFileError(f"{path}: not a HookedTransformerConfig ({_first_line(exc)})"
                             ) from None
    cfg.device = "cpu"
    return cfg


def _state_dict(path: Path) -> dict[str, Any]:
    if path.suffix == ".safetensors":
        try:
            from safetensors.torch import load_file

            return load_file(str(path))
        except Exception as exc:
            raise ModelFileError(f"{path}: not a readable safetensors file "
                                 f"({_first_line(exc)})") from None
    import torch

    try:
        sd = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ModelFileError(f"{path}: not a state dict torch can load safely "
                             f"(weights_only=True: {_first_line(exc)})") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict):
        raise ModelFileError(f"{path}: holds a {type(sd).__name__}, not a state dict")
    return sd


def config_beside(path: Path) -> Path | None:
    """`NAME.json` or `NAME.config.json` next to a state dict `NAME.safetensors`/`NAME.pt`."""
    for candidate in (path.with_suffix(".json"), path.with_name(path.stem + ".config.json"),
                      path.with_name(path.stem + "_config.json")):
        if candidate.exists():
            return candidate
    return None


def load_tl_state(path: Path, config: Path) -> SequenceModel:
    """A TransformerLens `HookedTransformer` rebuilt from its config JSON and state dict."""
    try:
        from transformer_lens import HookedTransformer
    except ImportError:
        raise ModelFileError(f"{path}: loading TransformerLens models needs the [tl] extra "
                             "(pip install 'rasplab[tl]')") from None
    _quiet()
    cfg = _tl_config(config)
    sd = _state_dict(path)
    model = HookedTransformer(cfg)
    own = model.state_dict()
    missing = [k for k in own if k not in sd and not _derived(k)]
    extra = [k for k in sd if k not in own]
    wrong = [k for k in own if k in sd and tuple(sd[k].shape) != tuple(own[k].shape)]
    if missing or extra or wrong:
        what = (f"missing {missing[:3]}" if missing else f"unexpected {extra[:3]}" if extra
                else f"shape of {wrong[0]} is {tuple(sd[wrong[0]].shape)} in the file, "
                     f"{tuple(own[wrong[0]].shape)} in the config")
        raise ModelFileError(f"{config} does not match the state dict {path.name}: {what}")
    model.load_state_dict(sd, strict=False)
    model.eval()
    causal = getattr(cfg, "attention_dir", "causal") == "causal"
    return SequenceModel(model, "tl", int(cfg.d_vocab), int(cfg.d_vocab_out), int(cfg.n_ctx),
                         causal, f"HookedTransformer {path.name} ({cfg.n_layers} layers, "
                                 f"d_model {cfg.d_model})")


def _derived(key: str) -> bool:
    """Buffers TransformerLens builds itself (masks, rotary tables), absent from saved dicts."""
    return key.endswith(("attn.mask", "attn.IGNORE", "rotary_sin", "rotary_cos"))


def from_hooked(model: Any) -> SequenceModel:
    """A `HookedTransformer` object already in memory."""
    cfg = model.cfg
    return SequenceModel(model, "tl", int(cfg.d_vocab), int(cfg.d_vocab_out), int(cfg.n_ctx),
                         getattr(cfg, "attention_dir", "causal") == "causal",
                         "HookedTransformer")


def from_hf(model: Any) -> SequenceModel:
    """A `transformers` model object already in memory."""
    config = model.config
    context = next((getattr(config, a) for a in ("n_positions", "max_position_embeddings")
                    if isinstance(getattr(config, a, None), int)), None)
    try:
        model.set_attn_implementation("eager")
    except Exception:  # older transformers: attentions come back anyway
        pass
    return SequenceModel(model, "hf", int(model.get_input_embeddings().weight.shape[0]),
                         int(model.get_output_embeddings().weight.shape[0]), context, True,
                         type(model).__name__)


def load_user_model(path: str | Path, config: str | Path | None = None) -> SequenceModel:
    """A Hugging Face folder, or a TransformerLens state dict with its config JSON."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model not found: {path}")
    if path.is_dir():
        return load_hf_folder(path)
    cfg = Path(config) if config else config_beside(path)
    if cfg is None:
        raise ModelFileError(f"{path}: a state dict needs its HookedTransformerConfig JSON "
                             f"(--config FILE, or {path.stem}.json beside it)")
    if not cfg.exists():
        raise ModelFileError(f"config file not found: {cfg}")
    return load_tl_state(path, cfg)


def is_user_model(path: str | Path) -> bool:
    """Whether `path` looks like a model of this module's kinds rather than a rasplab file."""
    path = Path(path)
    if path.is_dir():
        return (path / "config.json").exists() or not any(path.glob("*.safetensors"))
    if path.suffix in (".pt", ".pth", ".bin"):
        return True
    if path.suffix == ".safetensors" and path.exists():
        try:
            from safetensors import safe_open

            with safe_open(str(path), framework="numpy") as f:
                meta = f.metadata() or {}
        except Exception:
            return False
        return meta.get("rasplab_kind") not in ("trained", "compiled")
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
