"""Where rasplab keeps what it computes once and reuses: one root for every cache."""
from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$RASPLAB_CACHE`, else `~/.cache/rasplab`; trained models and parsed library programs
    live in folders under it."""
    return Path(os.environ.get("RASPLAB_CACHE") or Path.home() / ".cache" / "rasplab")
