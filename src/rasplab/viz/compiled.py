"""Picture of a compiled transformer: which program node lives in which head or MLP of which
layer, and each head's attention pattern on an example input (PNG)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _default_input(model: Any) -> list[Any]:
    vocab, n = model.cfg.vocab, model.cfg.max_len
    return [vocab[i % len(vocab)] for i in range(n)]


def plot_compiled(model: Any, path: str | os.PathLike[str],
                  example: Sequence[Any] | None = None) -> Path:
    """Draw the layer layout and the attention of every head on `example`; returns the path."""
    path = Path(path)
    cfg = model.cfg
    x = list(example) if example is not None else _default_input(model)
    outputs, patterns = model.predict([x], return_patterns=True)
    heads = max(cfg.n_heads, 1)
    rows = max(cfg.n_layers, 1)
    fig, axes = plt.subplots(rows, heads + 1, figsize=(3.2 * (heads + 1), 2.8 * rows + 0.6),
                             dpi=100, squeeze=False)
    labels = ["BOS"] + [str(t) for t in x]
    for layer in range(rows):
        text_ax = axes[layer][0]
        text_ax.axis("off")
        entries = [r for r in cfg.layout if r["layer"] == layer]
        lines = [f"layer {layer}"]
        for r in entries:
            name = r["label"].split("#")[0]
            if r["block"] == "attn":
                lines.append(f"  head {r['head']}: {name} ({r['kind']})")
        for r in entries:
            if r["block"] == "mlp":
                lines.append(f"  mlp: {r['label'].split('#')[0]} ({r['units']} units)")
        text_ax.text(0.0, 1.0, "\n".join(lines), va="top", ha="left", family="monospace",
                     fontsize=8, transform=text_ax.transAxes)
        heads_here = {r["head"]: r for r in entries if r["block"] == "attn"}
        for h in range(heads):
            ax = axes[layer][h + 1]
            if h not in heads_here or layer >= cfg.n_layers:
                ax.axis("off")
                continue
            pattern = patterns[0][f"blocks.{layer}.attn.hook_pattern"][h]
            ax.imshow(pattern, vmin=0.0, vmax=1.0, cmap="Blues")
            ax.set_title(f"L{layer}H{h}: {heads_here[h]['label'].split('#')[0]}", fontsize=8)
            ax.set_xticks(range(len(labels)), labels, fontsize=7)
            ax.set_yticks(range(len(labels)), labels, fontsize=7)
            ax.set_xlabel("key", fontsize=7)
            ax.set_ylabel("query", fontsize=7)
    shown = " ".join(map(str, outputs[0]))
    fig.suptitle(f"compiled: {cfg.n_layers} layers, d_model {cfg.d_model}; input "
                 f"{''.join(map(str, x))} -> {shown}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
