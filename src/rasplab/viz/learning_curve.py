"""Learning-curve picture of a training run: loss and held-out accuracy against step (PNG)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def plot_learning_curve(curve: Sequence[dict[str, float]], path: str | os.PathLike[str],
                        title: str = "") -> Path:
    """Write the curve (dicts with step, loss, val_accuracy[, attn_loss]) to `path`; returns it."""
    path = Path(path)
    steps = [c["step"] for c in curve]
    # a short run has few evaluations: markers show them (one point draws no line at all)
    dots = {"marker": "o", "markersize": 5} if len(steps) < 20 else {"marker": "."}
    fig, ax_loss = plt.subplots(figsize=(6, 3.6), dpi=100)
    ax_loss.plot(steps, [c["loss"] for c in curve], color="tab:red", label="train loss",
                 **(dots if len(steps) < 20 else {}))
    if any(c.get("attn_loss") for c in curve):
        ax_loss.plot(steps, [c["attn_loss"] for c in curve], color="tab:orange", linestyle="--",
                     label="attention MSE", **(dots if len(steps) < 20 else {}))
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("step")
    ax_loss.set_ylabel("loss (log)")
    ax_loss.set_xlim(0, max(steps, default=0) * 1.04 + 1)  # steps count from 0, in whole steps
    ax_loss.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_acc = ax_loss.twinx()
    ax_acc.plot(steps, [c["val_accuracy"] for c in curve], color="tab:blue",
                label="held-out accuracy (token)", **dots)
    ax_acc.plot(steps, [c["val_sequence_accuracy"] for c in curve], color="tab:cyan",
                label="held-out accuracy (sequence)", **dots)
    ax_acc.set_ylim(0, 1.02)
    ax_acc.set_ylabel("accuracy")
    lines = ax_loss.get_legend_handles_labels()
    more = ax_acc.get_legend_handles_labels()
    ax_acc.legend(lines[0] + more[0], lines[1] + more[1], loc="center right", fontsize=7)
    if title:
        ax_loss.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
