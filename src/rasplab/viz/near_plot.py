"""The seed report's NEAR figure: validation loss of each evaluated program against search time."""
from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _fields(entry: Any) -> tuple[float, float, bool]:
    """(seconds, loss, complete) from an `Evaluated` or a (seconds, loss, complete, ...) tuple."""
    if hasattr(entry, "seconds"):
        return float(entry.seconds), float(entry.loss), bool(entry.complete)
    return float(entry[0]), float(entry[1]), bool(entry[2])


def plot_near_trace(traces: dict[str, Sequence[Any]] | Sequence[Any],
                    path: str | os.PathLike[str], title: str = "") -> Path:
    """Write one panel per trace (label -> evaluated programs): loss of each vs time, log scale.

    Partial programs are dots (their trained neural completion's validation loss), complete
    programs crosses (their exact loss); the line is the best partial score so far.
    """
    path = Path(path)
    if not isinstance(traces, dict):
        traces = {"": traces}
    cols = min(4, len(traces))
    rows = -(-len(traces) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), dpi=100,
                             squeeze=False)
    for ax in axes.flat[len(traces):]:
        ax.set_visible(False)
    for ax, (label, trace) in zip(axes.flat, traces.items()):
        pts = [_fields(e) for e in trace]
        pts = [(t, max(loss, 1e-4), c) for t, loss, c in pts if math.isfinite(loss)]
        part = [(t, v) for t, v, c in pts if not c]
        done = [(t, v) for t, v, c in pts if c]
        if part:
            ax.scatter(*zip(*part), s=6, color="tab:blue", alpha=0.6, label="partial (neural)")
            best, line = math.inf, []
            for t, v in sorted(part):
                best = min(best, v)
                line.append((t, best))
            ax.plot(*zip(*line), color="tab:blue", linewidth=1, label="best partial so far")
        if done:
            ax.scatter(*zip(*done), s=18, marker="x", color="tab:red", label="complete")
        ax.set_yscale("log")
        ax.set_xlabel("search time (s)")
        ax.set_ylabel("validation loss (normalised MSE)")
        ax.set_title(label or title, fontsize=9)
        ax.legend(fontsize=6, loc="upper right")
    if title and len(traces) > 1:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
