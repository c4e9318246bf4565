"""Train bidirectional TransformerLens classifiers that label every position of a token sequence.

Each model goes to ``OUT/TASK/``: ``TASK.safetensors`` (the HookedTransformer state dict),
``TASK.json`` (its HookedTransformerConfig; rebuild it with ``load_config``), ``tokens.json``
(``<bos>`` at id 0, then the task's tokens), ``classes.json`` (class values in logit order),
``prompts.jsonl`` and ``test.jsonl`` (inputs without ``<bos>``, one JSON list a line) and
``train.json``. Tasks and their labels come from ``lm_tasks.py``; nothing is downloaded.

    python benchmarks/causal/train_tl.py --all --out runs/tl
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))  # lm_tasks, when imported from tests
import lm_tasks  # noqa: E402
from lm_tasks import ClassTask, Token  # noqa: E402


@dataclass
class Settings:
    """Hyper-parameters of one run; small enough for a CPU minute or two."""

    layers: int = 2
    d_model: int = 64
    heads: int = 4
    act_fn: str = "relu"
    steps: int = 3000
    batch: int = 64
    lr: float = 1e-3
    weight_decay: float = 0.01
    warmup: int = 100
    seed: int = 0
    vocab_size: int | None = None
    min_len: int | None = None
    max_len: int | None = None
    eval_every: int = 250
    time_limit: float = 110.0  # CPU seconds of training
    device: str = "cpu"
    n_prompts: int = 200
    n_test: int = 500


# Per-task departures from the defaults: exact counts up to 10 need a third layer.
PER_TASK: dict[str, dict[str, int]] = {"count_last": {"layers": 3, "steps": 4000}}


@dataclass
class Trained:
    """A trained classifier with its vocabulary, classes and data sets."""

    task: ClassTask
    model: torch.nn.Module
    tokens: list[Token]
    classes: list[int]
    settings: Settings
    steps: int
    seconds: float  # wall clock
    cpu_seconds: float  # CPU time of this process
    stopped: str
    sets: dict[str, list[list[int]]]


def resolve(task: ClassTask, s: Settings) -> Settings:
    """Fill the task-dependent settings left as None."""
    return replace(s, vocab_size=s.vocab_size or task.vocab_size,
                   min_len=task.min_len if s.min_len is None else s.min_len,
                   max_len=task.max_len if s.max_len is None else s.max_len)


def build_model(task: ClassTask, s: Settings):
    """A fresh bidirectional HookedTransformer with one output logit per class."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    tokens = lm_tasks.class_tokens(task, s.vocab_size)
    classes = task.classes(s.vocab_size, s.max_len)
    cfg = HookedTransformerConfig(
        n_layers=s.layers, d_model=s.d_model, n_heads=s.heads, d_head=s.d_model // s.heads,
        d_mlp=4 * s.d_model, n_ctx=s.max_len + 1, d_vocab=len(tokens), d_vocab_out=len(classes),
        act_fn=s.act_fn, normalization_type="LN", attention_dir="bidirectional",
        attn_only=False, seed=s.seed, device=s.device, default_prepend_bos=False)
    torch.manual_seed(s.seed)
    return HookedTransformer(cfg), tokens, classes


def encode(task: ClassTask, xs: list[list[int]], tokens: list[Token], classes: list[int],
           device: str = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """ids ``<bos> x`` and class indices per input position (-100 at ``<bos>``), equal lengths."""
    index = {t: i for i, t in enumerate(tokens)}
    cls = {c: i for i, c in enumerate(classes)}
    ids = torch.tensor([[0] + [index[t] for t in x] for x in xs], device=device)
    labels = torch.tensor([[-100] + [cls[c] for c in task.labels(x)] for x in xs], device=device)
    return ids, labels


def _by_length(xs: list[list[int]]) -> dict[int, list[list[int]]]:
    groups: dict[int, list[list[int]]] = {}
    for x in xs:
        groups.setdefault(len(x), []).append(x)
    return groups


@torch.no_grad()
def accuracy(model, task: ClassTask, xs: list[list[int]], tokens: list[Token],
             classes: list[int], device: str = "cpu") -> dict:
    """Per-position and whole-sequence accuracy of the argmax class (the ``<bos>`` ignored)."""
    model.eval()
    right = total = seq_right = 0
    for group in _by_length(xs).values():
        ids, labels = encode(task, group, tokens, classes, device)
        ok = (model(ids).argmax(-1) == labels)[:, 1:]
        right += int(ok.sum())
        total += ok.numel()
        seq_right += int(ok.all(-1).sum())
    model.train()
    return {"position": right / max(total, 1), "sequence": seq_right / max(len(xs), 1),
            "n": len(xs)}


def train(task: ClassTask | str, settings: Settings | None = None, *, log=print,
          **overrides) -> Trained:
    """Train a classifier on ``task``; keywords override Settings (e.g. ``steps=300``)."""
    task = lm_tasks.CLASSIFIERS[task] if isinstance(task, str) else task
    s = resolve(task, replace(settings or Settings(**PER_TASK.get(task.name, {})),
                              **overrides))
    model, tokens, classes = build_model(task, s)
    model.to(s.device).train()
    sample = lambda n, rng: lm_tasks.sample_inputs(  # noqa: E731
        task, n, rng, s.min_len, s.max_len, s.vocab_size)
    test = list({tuple(x): x for x in sample(s.n_test, np.random.default_rng([s.seed, 1]))}
                .values())
    sets = {"prompts": sample(s.n_prompts, np.random.default_rng([s.seed, 2])), "test": test}
    held = {tuple(x) for x in test}
    valid = sample(300, np.random.default_rng([s.seed, 3]))
    rng = np.random.default_rng([s.seed, 0])
    lens = lm_tasks.lengths(task, s.min_len, s.max_len)

    opt = torch.optim.AdamW(model.parameters(), lr=s.lr, weight_decay=s.weight_decay,
                            betas=(0.9, 0.98))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min(1.0, (i + 1) / s.warmup) * (
        0.1 + 0.45 * (1 + math.cos(math.pi * min(i, s.steps) / s.steps))))
    start, cpu_start = time.perf_counter(), time.process_time()
    stopped, perfect, step = "steps", 0, 0
    for step in range(1, s.steps + 1):
        # One length per batch, so no padding is needed under bidirectional attention.
        n = lens[int(rng.integers(len(lens)))]
        xs = [task.sample_input(rng, n, s.vocab_size) for _ in range(s.batch)]
        xs = [x for x in xs if tuple(x) not in held] or xs
        ids, labels = encode(task, xs, tokens, classes, s.device)
        loss = F.cross_entropy(model(ids).flatten(0, 1), labels.flatten(), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        elapsed = time.process_time() - cpu_start  # CPU seconds: fair on a shared machine
        if step % s.eval_every == 0 or step == s.steps:
            acc = accuracy(model, task, valid, tokens, classes, s.device)
            log(f"{task.name} step {step} loss {loss.item():.4f} valid position "
                f"{acc['position']:.4f} sequence {acc['sequence']:.4f} ({elapsed:.0f} cpu s)")
            perfect = perfect + 1 if acc["sequence"] == 1.0 else 0
            if perfect >= 2:
                stopped = "converged"
                break
        if elapsed > s.time_limit:
            stopped = "time"
            break
    model.eval()
    return Trained(task, model, tokens, classes, s, step, time.perf_counter() - start,
                   time.process_time() - cpu_start, stopped, sets)


def config_dict(cfg) -> dict:
    """A HookedTransformerConfig as JSON-ready data (torch dtype and device as strings)."""
    out = {}
    for key, value in cfg.to_dict().items():
        if isinstance(value, (torch.dtype, torch.device)):
            value = str(value)
        out[key] = value
    return out


def load_config(path: Path | str):
    """Rebuild a HookedTransformerConfig from the JSON written by ``save``."""
    from transformer_lens import HookedTransformerConfig

    data = json.loads(Path(path).read_text())
    if isinstance(data.get("dtype"), str):
        data["dtype"] = getattr(torch, data["dtype"].removeprefix("torch."))
    return HookedTransformerConfig(**data)


def load(folder: Path | str, device: str = "cpu"):
    """The HookedTransformer saved in ``folder`` (its NAME.json and NAME.safetensors)."""
    from safetensors.torch import load_file
    from transformer_lens import HookedTransformer

    folder = Path(folder)
    cfg = load_config(folder / f"{folder.name}.json")
    cfg.device = device
    model = HookedTransformer(cfg)
    model.load_state_dict(load_file(folder / f"{folder.name}.safetensors", device=device))
    return model.eval()


def save(trained: Trained, out_dir: Path | str) -> dict:
    """Write the state dict, config, vocabulary, classes and data; return what train.json holds."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name, model, s = out.name, trained.model.to("cpu"), trained.settings
    model.cfg.device = "cpu"
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, out / f"{name}.safetensors")
    (out / f"{name}.json").write_text(json.dumps(config_dict(model.cfg), indent=1) + "\n")
    (out / "tokens.json").write_text(json.dumps(trained.tokens) + "\n")
    (out / "classes.json").write_text(json.dumps(trained.classes) + "\n")
    for key, rows in trained.sets.items():
        (out / f"{key}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    acc = accuracy(model, trained.task, trained.sets["test"], trained.tokens, trained.classes)
    record = {
        "task": trained.task.name, "description": trained.task.description,
        "rasp": trained.task.rasp, "predict": "classes", "bos": lm_tasks.BOS,
        "format": "transformer_lens HookedTransformer state dict",
        "settings": asdict(s), "params": sum(p.numel() for p in model.parameters()),
        "steps": trained.steps, "seconds": round(trained.seconds, 1),
        "cpu_seconds": round(trained.cpu_seconds, 1), "stopped": trained.stopped,
        "accuracy": {"test": acc}, "torch": torch.__version__,
    }
    (out / "train.json").write_text(json.dumps(record, indent=1) + "\n")
    return record


def main(argv: list[str] | None = None) -> int:
    """Command line: train the named classifiers (or all) and save each under OUT/TASK."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("tasks", nargs="*", help=f"any of: {' '.join(lm_tasks.CLASSIFIERS)}")
    p.add_argument("--all", action="store_true")
    p.add_argument("--out", required=True, type=Path)
    for flag in ("layers", "d_model", "heads", "steps", "batch", "seed", "vocab_size", "min_len",
                 "max_len", "eval_every", "n_test", "n_prompts"):
        p.add_argument("--" + flag.replace("_", "-"), type=int, dest=flag)
    p.add_argument("--lr", type=float)
    p.add_argument("--act-fn", choices=["relu", "gelu"], dest="act_fn")
    p.add_argument("--time-limit", type=float, dest="time_limit")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    names = list(lm_tasks.CLASSIFIERS) if args.all else args.tasks
    unknown = [n for n in names if n not in lm_tasks.CLASSIFIERS]
    if not names or unknown:
        p.error(f"unknown task(s) {unknown}" if unknown else "name a task or pass --all")
    torch.set_num_threads(args.threads)
    keys = set(Settings.__dataclass_fields__)
    given = {k: v for k, v in vars(args).items() if k in keys and v is not None}
    rows = []
    for name in names:
        trained = train(name, Settings(**{**PER_TASK.get(name, {}), **given}),
                        log=lambda m: print(m, flush=True))
        rec = save(trained, args.out / name)
        rows.append((name, rec["accuracy"]["test"]["sequence"], rec["steps"], rec["seconds"],
                     rec["cpu_seconds"]))
        print(f"{name}: test sequence {rows[-1][1]:.4f} steps {rec['steps']} "
              f"{rec['seconds']} s -> {args.out / name}", flush=True)
    print("\ntask | test seq acc | steps | seconds | cpu seconds")
    for r in rows:
        print(" | ".join(str(round(x, 4)) if isinstance(x, float) else str(x) for x in r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
