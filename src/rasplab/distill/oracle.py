"""A model as an oracle: a batched function from token sequences to outputs, plus attention.

Whatever the user hands over — a trained or compiled model file, a model object with `predict`,
a TransformerLens `HookedTransformer`, a plain Python function — becomes an `Oracle`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from rasplab.errors import ModelFileError, RaspLabError

Inputs = Sequence[Sequence[Any]]
#: head name ("blocks.L.attn.hook_pattern[H]") -> one (n, n) attention matrix per input, BOS removed
Patterns = dict[str, list[np.ndarray]]


@runtime_checkable
class Model(Protocol):
    """A model object distillation can read whole (rasplab's `TrainedModel` is one): outputs
    for a batch of token lists, its input tokens, the longest input it was trained on, and its
    attention, `{"blocks.L.attn.hook_pattern": [(heads, n+1, n+1) per input]}` with BOS first.
    It may also name its `task` and, as `max_input_len`, a longer input its positions allow.
    An object with `predict` alone is queried as a black box."""

    vocab: Sequence[Any]
    max_len: int

    def predict(self, inputs: list[list[Any]]) -> list[list[Any]]: ...

    def attention(self, inputs: list[list[Any]]) -> dict[str, list[np.ndarray]]: ...


@dataclass
class Oracle:
    """What distillation queries: outputs of a model, and (white box) its attention patterns."""

    predict: Callable[[list[list[Any]]], list[list[Any]]]
    vocab: tuple[Any, ...] | None = None
    max_len: int | None = None
    min_len: int = 1
    task: str | None = None
    patterns: Callable[[list[list[Any]]], Patterns] | None = None
    #: the longest input the model can run (positional embeddings); None = unbounded
    max_supported_len: int | None = None
    description: str = "model"
    meta: dict[str, Any] = field(default_factory=dict)

    def __call__(self, inputs: Inputs) -> list[list[Any]]:
        seqs = [list(x) for x in inputs]
        out = self.predict(seqs) if seqs else []
        return [list(o) for o in out]

    def attention(self, inputs: Inputs) -> Patterns | None:
        """Attention per head (BOS row and column removed), or None for a black box."""
        return self.patterns([list(x) for x in inputs]) if self.patterns else None

    def can_run(self, n: int) -> bool:
        return self.max_supported_len is None or n <= self.max_supported_len


def _split_heads(raw: dict[str, Any]) -> Patterns:
    """`{"blocks.0.attn.hook_pattern": [(heads, n+1, n+1) per input]}` → one entry a head.

    Models put BOS at position 0; a query that selects nothing attends to BOS, so dropping BOS
    leaves rows that sum to less than one, exactly like a row-normalised empty selector row.
    """
    out: Patterns = {}
    for name, per_input in raw.items():
        arrays = [np.asarray(a, dtype=np.float64) for a in per_input]
        heads = arrays[0].shape[0] if arrays else 0
        for h in range(heads):
            out[f"{name}[{h}]"] = [a[h, 1:, 1:] for a in arrays]
    return out


def from_model_object(model: Model, task: str | None = None, description: str = "model") -> Oracle:
    """A `Model`: outputs and attention; its own task unless `task` is given."""

    def patterns(xs: list[list[Any]]) -> Patterns:
        return _split_heads(model.attention(xs))

    return Oracle(predict=model.predict, vocab=tuple(model.vocab), max_len=model.max_len,
                  task=task or _task_of(model), patterns=patterns,
                  max_supported_len=getattr(model, "max_input_len", model.max_len),
                  description=description)


def from_black_box(model: Any, description: str = "model") -> Oracle:
    """An object with `predict` but not all of `Model`: outputs only; its `vocab` and `max_len`
    are read when it has them (else `as_oracle` needs them)."""
    vocab = getattr(model, "vocab", None)
    max_len = getattr(model, "max_len", None)
    return Oracle(predict=model.predict, vocab=tuple(vocab) if vocab is not None else None,
                  max_len=max_len, task=_task_of(model),
                  max_supported_len=getattr(model, "max_input_len", max_len),
                  description=description)


def _task_of(model: Any) -> str | None:
    """The name of the task a model object says it was trained for (a name or a Task)."""
    task = getattr(model, "task", None)
    return task if task is None or isinstance(task, str) else getattr(task, "name", None)


def _is_compiled(model: Any) -> bool:
    """A `rasplab.compiler.CompiledTransformer`, told by its config without importing torch."""
    return callable(getattr(model, "predict", None)) and \
        hasattr(getattr(model, "cfg", None), "output_kind")


def from_compiled(model: Any, description: str = "compiled model") -> Oracle:
    """A `rasplab.compiler.CompiledTransformer` (it returns patterns from `predict`)."""

    def patterns(xs: list[list[Any]]) -> Patterns:
        _, per_input = model.predict(xs, return_patterns=True)
        raw: dict[str, list[np.ndarray]] = {}
        for d in per_input:
            for name, arr in d.items():
                raw.setdefault(name, []).append(arr)
        return _split_heads(raw)

    return Oracle(predict=model.predict, vocab=tuple(model.vocab), max_len=model.cfg.max_len,
                  patterns=patterns, max_supported_len=model.cfg.max_len,
                  description=description,
                  meta={"causal": bool(getattr(model.cfg, "causal", False))})


def read_kind(path: str | Path) -> str:
    """The `rasplab_kind` stored in a model file's safetensors metadata ("trained" / "compiled")."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file not found: {path}")
    try:
        from safetensors import safe_open

        with safe_open(str(path), framework="numpy") as f:
            meta = f.metadata() or {}
    except Exception as exc:
        raise ModelFileError(f"{path}: not a readable safetensors model file ({exc})") from None
    kind = meta.get("rasplab_kind")
    if kind not in ("trained", "compiled"):
        raise ModelFileError(f"{path}: not a rasplab model file (metadata rasplab_kind={kind!r})")
    return kind


def from_file(path: str | Path) -> Oracle:
    """A trained (`rasplab train`) or compiled (`rasplab compile`) model file."""
    kind = read_kind(path)
    if kind == "trained":
        from rasplab.models import load_model

        model = load_model(path)
        oracle = from_model_object(model, description=f"trained model {Path(path).name}")
    else:
        from rasplab.compiler import load_compiled

        oracle = from_compiled(load_compiled(path), description=f"compiled model {Path(path).name}")
    oracle.meta["kind"] = kind
    oracle.meta["path"] = str(path)
    return oracle


def from_function(fn: Callable[[list[Any]], list[Any]], vocab: Sequence[Any],
                  max_len: int, min_len: int = 1, task: str | None = None) -> Oracle:
    """A plain Python function from one token list to its output list (a black box)."""
    return Oracle(predict=lambda xs: [list(fn(list(x))) for x in xs], vocab=tuple(vocab),
                  max_len=max_len, min_len=min_len, task=task, description="Python function")


def from_hooked_transformer(model: Any, vocab: Sequence[Any],
                            output_vocab: Sequence[Any] | None = None, max_len: int | None = None,
                            bos_id: int | None = None, task: str | None = None) -> Oracle:
    """A TransformerLens `HookedTransformer` whose argmax logits index `output_vocab`.

    A model exported by rasplab (`to_hooked_transformer`) carries its id convention
    (`rasplab_tokens`: tokens in id order, with `"<bos>"`) and output names, and they are used;
    otherwise input ids index `vocab` and BOS is `bos_id` (by default len(vocab))."""
    import torch

    layout = getattr(model, "rasplab_tokens", None)
    if layout is not None and bos_id is None:
        ids = {t: i for i, t in enumerate(layout) if t in set(vocab)}
        missing = [t for t in vocab if t not in ids]
        if missing:
            raise RaspLabError(f"tokens {missing!r} are not in the exported model's vocabulary")
        bos = layout.index("<bos>")
    else:
        ids = {t: i for i, t in enumerate(vocab)}
        bos = len(vocab) if bos_id is None else bos_id
    if output_vocab is None:
        output_vocab = getattr(model, "rasplab_outputs", None)
        if output_vocab is None:
            raise RaspLabError("output_vocab= is needed: the model does not name its outputs")
    if max_len is None:
        max_len = int(model.cfg.n_ctx) - 1

    def encode(xs: list[list[Any]]) -> list[torch.Tensor]:
        out = []
        for x in xs:
            try:
                out.append(torch.tensor([[bos] + [ids[t] for t in x]]))
            except KeyError as exc:
                raise RaspLabError(f"token {exc.args[0]!r} is not in the model's vocabulary")
        return out

    def predict(xs: list[list[Any]]) -> list[list[Any]]:
        with torch.no_grad():
            return [[output_vocab[i] for i in model(t)[0, 1:].argmax(-1).tolist()]
                    for t in encode(xs)]

    def patterns(xs: list[list[Any]]) -> Patterns:
        raw: dict[str, list[np.ndarray]] = {}
        with torch.no_grad():
            for t in encode(xs):
                _, cache = model.run_with_cache(
                    t, names_filter=lambda n: n.endswith("hook_pattern"))
                for name in cache.keys():
                    raw.setdefault(name, []).append(cache[name][0].double().numpy())
        return _split_heads(raw)

    return Oracle(predict=predict, vocab=tuple(vocab), max_len=max_len, task=task,
                  patterns=patterns, max_supported_len=max_len, description="HookedTransformer")


def as_oracle(model: Any, *, vocab: Sequence[Any] | None = None, max_len: int | None = None,
              task: str | None = None) -> Oracle:
    """Wrap anything distillation accepts as an `Oracle`; options fill in what the model lacks."""
    if isinstance(model, Oracle):
        oracle = model
    elif isinstance(model, str | Path):
        oracle = from_file(model)
    elif hasattr(model, "run_with_cache"):
        raise RaspLabError("a HookedTransformer needs its vocabularies: use "
                           "rasplab.distill.oracle.from_hooked_transformer(model, vocab, ...)")
    elif _is_compiled(model):
        oracle = from_compiled(model)
    elif isinstance(model, Model):
        oracle = from_model_object(model)
    elif callable(getattr(model, "predict", None)):
        oracle = from_black_box(model)
    elif callable(model):
        if vocab is None or max_len is None:
            raise RaspLabError("a plain function needs vocab= and max_len= to be queried")
        oracle = from_function(model, vocab, max_len, task=task)
    else:
        raise RaspLabError(f"cannot query a {type(model).__name__} as a model")
    if vocab is not None:
        oracle.vocab = tuple(vocab)
    if max_len is not None:
        oracle.max_len = max_len
    if task is not None:
        oracle.task = task
    if oracle.vocab is None or oracle.max_len is None:
        raise RaspLabError("the model's vocabulary and maximum length are unknown: pass them "
                           "(vocab=, max_len=)")
    return oracle

