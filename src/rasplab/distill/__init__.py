"""Distil a transformer into a RASP program: query it, search guided by its attention, verify."""
from rasplab.distill.oracle import Oracle, as_oracle, from_function, from_hooked_transformer
from rasplab.distill.pipeline import DistillResult, distill

__all__ = ["Oracle", "as_oracle", "from_function", "from_hooked_transformer", "DistillResult",
           "distill"]
