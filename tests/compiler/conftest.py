"""Compiler tests run torch on one thread: the machine is shared, and tiny models gain nothing."""
import torch

torch.set_num_threads(1)
