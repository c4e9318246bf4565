"""Training loop: AdamW on per-position cross-entropy, optionally plus attention supervision.

Outputs are classes: a task's `output_vocab`, or for numeric outputs (`output_vocab` None) the
distinct values seen in the training pool, so numbers are predicted exactly, never regressed.
Evaluation reports per-token and per-sequence accuracy on held-out inputs (none of them in the
training pool) and on inputs longer than any trained on. Ctrl-C stops and keeps the best model.
"""
from __future__ import annotations

import math
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from rasplab.errors import ExamplesError, RaspLabError
from rasplab.lang.values import value_key
from rasplab.models.config import TrainConfig, TransformerConfig
from rasplab.models.supervision import (
    SupervisedHead,
    attention_loss,
    attention_mse,
    plan_heads,
    program_shape,
    selection_masks,
)
from rasplab.models.trained import TrainedModel
from rasplab.models.transformer import PAD, Transformer
from rasplab.tasks.distributions import distinct_sample

IGNORE = -100  # label of BOS, padding, and output values outside the output vocabulary
MAX_NUMERIC_CLASSES = 1024


@dataclass
class TrainResult:
    """The trained model, its held-out figures and its learning curve."""

    model: TrainedModel
    accuracy: float  # per token, held-out inputs of the trained lengths
    sequence_accuracy: float
    length_gen_accuracy: float | None  # per token, inputs longer than trained on
    length_gen_sequence_accuracy: float | None
    seconds: float  # wall clock, data generation and evaluation included
    cpu_seconds: float  # CPU time of this process (less sensitive to other load)
    steps: int
    attention_mse: float | None = None  # supervised heads vs targets, held-out inputs
    interrupted: bool = False
    supervised_heads: list[str] = field(default_factory=list)
    unsupervised_selectors: list[str] = field(default_factory=list)
    curve: list[dict[str, float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Plain figures for JSON output and the model file's metadata."""
        return {k: getattr(self, k) for k in (
            "accuracy", "sequence_accuracy", "length_gen_accuracy",
            "length_gen_sequence_accuracy", "seconds", "cpu_seconds", "steps", "attention_mse",
            "interrupted",
            "supervised_heads", "unsupervised_selectors")}


@dataclass
class _Data:
    """A split encoded as tensors: ids (N, T), labels (N, T), selection masks (N, H, T, T)."""

    ids: torch.Tensor
    labels: torch.Tensor
    masks: torch.Tensor | None


def _resolve_task(task: Any) -> Any:
    if isinstance(task, str):
        from rasplab.tasks import get_task

        return get_task(task)
    return task


def _output_vocab(task: Any, labels: Sequence[Sequence[Any]]) -> tuple[Any, ...]:
    vocab = getattr(task, "output_vocab", None)
    if vocab is not None:
        return tuple(vocab)
    seen = {value_key(v): v for row in labels for v in row}
    if len(seen) > MAX_NUMERIC_CLASSES:
        raise ExamplesError(f"task {getattr(task, 'name', task)!r} has {len(seen)} distinct "
                            f"numeric outputs; at most {MAX_NUMERIC_CLASSES} can be classes")
    return tuple(sorted(seen.values(), key=lambda v: (v is None, str(type(v)), v
                                                      if v is not None else 0)))


def _encode(model: TrainedModel, inputs: Sequence[Sequence[Any]],
            labels: Sequence[Sequence[Any]], width: int) -> tuple[torch.Tensor, torch.Tensor]:
    ids = model.encode(inputs)
    ids = torch.nn.functional.pad(ids, (0, width - ids.shape[1]), value=PAD)
    classes = {value_key(v): i for i, v in enumerate(model.output_vocab)}
    lab = torch.full(ids.shape, IGNORE, dtype=torch.long)
    for b, row in enumerate(labels):
        lab[b, 1:len(row) + 1] = torch.tensor([classes.get(value_key(v), IGNORE - 1)
                                               for v in row], dtype=torch.long)
    return ids, lab


def _split(model: TrainedModel, task: Any, inputs: list[list[Any]],
           heads: Sequence[SupervisedHead], width: int) -> _Data:
    labels = task.outputs(inputs)
    ids, lab = _encode(model, inputs, labels, width)
    masks = None
    if heads:
        masks = torch.from_numpy(selection_masks(heads, inputs, width))
    return _Data(ids, lab, masks)


@torch.no_grad()
def evaluate_accuracy(net: Transformer, data: _Data, batch: int = 1024) -> tuple[float, float]:
    """(per-token accuracy, per-sequence accuracy) of `net` on an encoded split."""
    net.eval()
    right = total = seq_right = 0
    for start in range(0, len(data.ids), batch):
        ids, lab = data.ids[start:start + batch], data.labels[start:start + batch]
        pred = net(ids).argmax(-1)
        scored = lab != IGNORE
        ok = (pred == lab) | ~scored
        right += int(((pred == lab) & scored).sum())
        total += int(scored.sum())
        seq_right += int(ok.all(dim=1).sum())
    net.train()
    return right / max(total, 1), seq_right / max(len(data.ids), 1)


def _fresh(task: Any, n: int, rng: np.random.Generator, exclude: set[tuple[Any, ...]],
           **lengths: int) -> list[list[Any]]:
    """`n` inputs from the task's distribution that are not in `exclude` (added to it); fewer
    for a tiny input space."""
    return distinct_sample(lambda k, r: task.sample(max(k, 64), r, **lengths), n, rng,
                           draws=50, exclude=exclude)


def _program(task: Any, required: bool) -> Any:
    """The task's reference program; None when it has none (an error if supervision needs it)."""
    try:
        return getattr(task, "program", None)
    except Exception as exc:
        if required:
            raise ExamplesError(f"attention supervision needs the reference program of task "
                                f"{getattr(task, 'name', task)!r}, which failed to load: "
                                f"{exc}") from exc
        return None


def build_model(task: Any, config: TrainConfig) -> tuple[TrainedModel, list[SupervisedHead],
                                                          list[str]]:
    """An untrained model sized for `task`, and the heads that supervision will pull."""
    program = _program(task, required=config.attn_supervision)
    depth, width = program_shape(program) if program is not None else (2, 2)
    n_layers = config.n_layers or max(2, depth)
    n_heads = config.n_heads or max(2, width)
    while config.d_model % n_heads:
        n_heads += 1
    vocab = tuple(task.vocab)
    cfg = TransformerConfig(n_tokens=len(vocab) + 2, n_out=1, d_model=config.d_model,
                            n_ctx=task.max_len + config.length_gen_extra + 1,
                            n_layers=n_layers, n_heads=n_heads,
                            d_mlp=config.d_mlp or 2 * config.d_model, causal=config.causal)
    heads: list[SupervisedHead] = []
    dropped: list[str] = []
    if config.attn_supervision:
        if program is None:
            raise ExamplesError("attention supervision needs a task with a reference program")
        heads, dropped = plan_heads(program, n_layers, n_heads)
    model = TrainedModel(net=Transformer(cfg), vocab=vocab, output_vocab=(),
                         task=getattr(task, "name", None), max_len=task.max_len,
                         min_len=getattr(task, "min_len", 1))
    return model, heads, dropped


def train(task: Any, config: TrainConfig | None = None, progress: bool = True) -> TrainResult:
    """Train a transformer on `task` (a Task or its name); returns the model and its figures."""
    task = _resolve_task(task)
    config = config or TrainConfig()
    started, cpu_started = time.perf_counter(), time.process_time()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    model, heads, dropped = build_model(task, config)
    seen: set[tuple[Any, ...]] = set()
    # no point sampling more than the steps can see
    n_train = min(config.n_train, max(1000, config.steps * config.batch_size))
    train_inputs = [list(x) for x in task.sample(n_train, rng)]
    seen.update(tuple(x) for x in train_inputs)
    val_inputs = _fresh(task, min(500, config.n_test), rng, seen)
    test_inputs = _fresh(task, config.n_test, rng, seen)
    long_inputs: list[list[Any]] = []
    if config.length_gen_extra > 0:
        long_inputs = _fresh(task, config.n_test, rng, seen, min_len=task.max_len + 1,
                             max_len=task.max_len + config.length_gen_extra)

    train_labels = task.outputs(train_inputs)
    model.output_vocab = _output_vocab(task, train_labels)
    net = model.net
    net.unembed = torch.nn.Linear(net.cfg.d_model, len(model.output_vocab))
    net.cfg.n_out = len(model.output_vocab)
    torch.nn.init.normal_(net.unembed.weight, std=0.02)
    torch.nn.init.zeros_(net.unembed.bias)

    width = task.max_len + 1
    ids, lab = _encode(model, train_inputs, train_labels, width)
    masks = torch.from_numpy(selection_masks(heads, train_inputs, width)) if heads else None
    train_data = _Data(ids, lab, masks)
    val = _split(model, task, val_inputs, (), width)
    test = _split(model, task, test_inputs, heads, width)
    width_flags = torch.tensor([h.width for h in heads], dtype=torch.bool)

    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                            betas=(0.9, 0.98))

    def lr_at(step: int) -> float:
        if step < config.warmup:
            return config.lr * (step + 1) / config.warmup
        frac = (step - config.warmup) / max(1, config.steps - config.warmup)
        return config.lr * (config.min_lr_frac + (1 - config.min_lr_frac)
                            * 0.5 * (1 + math.cos(math.pi * frac)))

    gen = torch.Generator().manual_seed(config.seed)
    best = (-1.0, {k: v.clone() for k, v in net.state_dict().items()})
    curve: list[dict[str, float]] = []
    interrupted = False
    step = 0
    bar = tqdm(total=config.steps, desc=f"train {model.task or ''}".strip(), file=sys.stderr,
               disable=not progress, dynamic_ncols=True)
    net.train()
    try:
        for step in range(1, config.steps + 1):
            for group in opt.param_groups:
                group["lr"] = lr_at(step - 1)
            idx = torch.randint(len(train_data.ids), (config.batch_size,), generator=gen)
            b_ids, b_lab = train_data.ids[idx], train_data.labels[idx]
            logits, patterns = net(b_ids, return_attention=True)
            task_loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b_lab.reshape(-1),
                                        ignore_index=IGNORE)
            loss = task_loss
            attn = torch.zeros(())
            if heads and train_data.masks is not None:
                query_ok = b_lab != IGNORE
                attn = attention_loss(patterns, heads, train_data.masks[idx], width_flags,
                                      query_ok)
                loss = task_loss + config.attn_weight * attn
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(net.parameters(), config.grad_clip)
            opt.step()
            bar.update(1)
            if step % config.eval_every == 0 or step == config.steps:
                acc, seq = evaluate_accuracy(net, val)
                curve.append({"step": step, "loss": task_loss.item(), "attn_loss": attn.item(),
                              "val_accuracy": acc, "val_sequence_accuracy": seq,
                              "seconds": time.perf_counter() - started})
                bar.set_postfix(loss=f"{task_loss.item():.3f}", val_acc=f"{acc:.3f}")
                if acc >= best[0]:
                    best = (acc, {k: v.clone() for k, v in net.state_dict().items()})
    except KeyboardInterrupt:
        interrupted = True
        acc, _ = evaluate_accuracy(net, val)
        if acc >= best[0]:
            best = (acc, {k: v.clone() for k, v in net.state_dict().items()})
    finally:
        bar.close()
    net.load_state_dict(best[1])
    net.eval()

    acc, seq = evaluate_accuracy(net, test)
    attn_mse = None
    if heads and test.masks is not None and not interrupted:
        attn_mse = attention_mse(net, heads, test.ids, test.masks, test.labels != IGNORE)
    long_acc = long_seq = None
    if long_inputs and not interrupted:  # the user pressed Ctrl-C: the test accuracy is enough
        try:
            long = _split(model, task, long_inputs, (), task.max_len + config.length_gen_extra + 1)
        except RaspLabError:  # a task whose reference refuses longer inputs: no figure
            long = None
        if long is not None:
            long_acc, long_seq = evaluate_accuracy(net, long)
    result = TrainResult(model=model, accuracy=acc, sequence_accuracy=seq,
                         length_gen_accuracy=long_acc, length_gen_sequence_accuracy=long_seq,
                         seconds=time.perf_counter() - started,
                         cpu_seconds=time.process_time() - cpu_started, steps=step,
                         attention_mse=attn_mse,
                         interrupted=interrupted, supervised_heads=[h.describe() for h in heads],
                         unsupervised_selectors=dropped, curve=curve)
    model.info = {"train_config": config.to_dict(), "metrics": result.summary(),
                  "curve": curve}
    return result
