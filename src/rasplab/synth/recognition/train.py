"""Training the recognition model on dreams plus solved tasks (multi-label cross-entropy).

Each training item is an examples set and the productions of a program that reproduces it.
Solved tasks are few next to dreams, so each counts `solved_weight` times in the loss. Ctrl-C
stops training and keeps the model as it is.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import numpy as np
import torch
from torch import nn

from rasplab.lang.ast import Node
from rasplab.synth.recognition.dreams import Dream
from rasplab.synth.recognition.encoder import featurise
from rasplab.synth.recognition.model import RecognitionConfig, RecognitionModel, label_vector
from rasplab.synth.recognition.productions import used_productions


@dataclass
class TrainConfig:
    """Optimisation settings that train in about a minute on one CPU thread."""

    epochs: int = 10
    batch_size: int = 16
    lr: float = 1e-2
    weight_decay: float = 1e-4
    solved_weight: float = 5.0
    seed: int = 0
    threads: int = 1


@dataclass
class Item:
    """One training example set: features, mask, multi-hot label and its loss weight."""

    feats: np.ndarray
    mask: np.ndarray
    label: np.ndarray
    weight: float


def items_from(dreams: Iterable[Dream], solved: Iterable[tuple[Sequence, Sequence, Node]],
               config: RecognitionConfig, solved_weight: float) -> list[Item]:
    """Training items: every dream, then every (inputs, outputs, program) of a solved task."""
    names = config.productions
    out = []
    for d in dreams:
        f, m = featurise(d.inputs, d.outputs, config.max_examples)
        out.append(Item(f, m, label_vector(d.productions, names), 1.0))
    for xs, ys, program in solved:
        f, m = featurise(xs, ys, config.max_examples)
        out.append(Item(f, m, label_vector(used_productions(program), names), solved_weight))
    return out


def _collate(batch: list[Item]) -> tuple[torch.Tensor, ...]:
    E = max(it.feats.shape[0] for it in batch)
    N = max(it.feats.shape[1] for it in batch)
    F = batch[0].feats.shape[2]
    feats = np.zeros((len(batch), E, N, F), dtype=np.float32)
    mask = np.zeros((len(batch), E, N), dtype=bool)
    for b, it in enumerate(batch):
        e, n = it.mask.shape
        feats[b, :e, :n] = it.feats
        mask[b, :e, :n] = it.mask
    labels = np.stack([it.label for it in batch])
    weights = np.array([it.weight for it in batch], dtype=np.float32)
    return (torch.from_numpy(feats), torch.from_numpy(mask), torch.from_numpy(labels),
            torch.from_numpy(weights))


def train_recognition(dreams: Sequence[Dream],
                      solved: Sequence[tuple[Sequence, Sequence, Node]] = (),
                      config: TrainConfig | None = None,
                      model: RecognitionModel | None = None,
                      progress: bool | None = None, *,
                      stop: Callable[[], bool] | None = None, min_epochs: int = 1,
                      extra: Sequence[Item] = ()) -> tuple[RecognitionModel, dict[str, Any]]:
    """Train (or go on training) a recognition model; returns it and training statistics.

    `extra` adds items already featurised (e.g. dreams kept from an earlier training); `stop`,
    asked after each epoch, ends training early once `min_epochs` are done."""
    config = config or TrainConfig()
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    model = model or RecognitionModel()
    items = list(extra) + items_from(dreams, solved, model.config, config.solved_weight)
    if not items:
        return model, {"items": 0, "epochs": 0, "seconds": 0.0, "loss": None}
    labels = np.stack([it.label for it in items])
    weights = np.array([it.weight for it in items])[:, None]
    model.prior.copy_(torch.from_numpy(
        ((labels * weights).sum(0) / weights.sum()).clip(0.01, 0.99).astype(np.float32)))
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, config.epochs))
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    rng = np.random.default_rng(config.seed)
    start, loss_value, epoch = time.monotonic(), float("nan"), 0
    bar = None
    if progress is not False:
        from tqdm import tqdm
        bar = tqdm(total=config.epochs, desc="recognition", unit="epoch", leave=False,
                   disable=None if progress is None else False)
    model.train()
    try:
        for epoch in range(1, config.epochs + 1):
            order = rng.permutation(len(items))
            total, count = 0.0, 0
            for s in range(0, len(order), config.batch_size):
                feats, mask, y, w = _collate([items[i] for i in order[s: s + config.batch_size]])
                loss = (loss_fn(model(feats, mask), y).mean(1) * w).sum() / w.sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(y)
                count += len(y)
            sched.step()
            loss_value = total / max(1, count)
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss_value:.3f}")
            if stop is not None and epoch >= min_epochs and stop():
                break
    except KeyboardInterrupt:
        pass
    finally:
        if bar is not None:
            bar.close()
    model.eval()
    return model, {"items": len(items), "epochs": epoch, "loss": loss_value,
                   "seconds": round(time.monotonic() - start, 2)}
