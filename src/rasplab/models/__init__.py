"""Trained transformers: the model, training with optional attention supervision, checkpoints."""
from rasplab.models.checkpoint import is_trained_model_file, load_model, read_metadata, save_model
from rasplab.models.config import TrainConfig, TransformerConfig, for_task
from rasplab.models.supervision import SupervisedHead, plan_heads, program_shape
from rasplab.models.train import TrainResult, train
from rasplab.models.trained import TrainedModel, strip_bos
from rasplab.models.transformer import BOS, PAD, Transformer

__all__ = [
    "BOS", "PAD", "Transformer", "TransformerConfig", "TrainConfig", "for_task", "train",
    "TrainResult", "TrainedModel", "strip_bos", "save_model", "load_model", "read_metadata",
    "is_trained_model_file", "SupervisedHead", "plan_heads", "program_shape",
]
