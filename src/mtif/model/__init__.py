"""The fusion network: blocks (``layers``), configuration, assembled model, checkpoints."""

from mtif.model.checkpoint import load_model, read_checkpoint_meta, save_checkpoint
from mtif.model.config import (
    VARIANTS,
    ModelConfig,
    config_from_dict,
    config_to_dict,
    get_config,
)
from mtif.model.network import MTIFNet, NetworkOutput, count_parameters, create_model
from mtif.model.text_batch import LEVEL_NAMES, TextBatch

__all__ = [
    "LEVEL_NAMES",
    "VARIANTS",
    "MTIFNet",
    "ModelConfig",
    "NetworkOutput",
    "TextBatch",
    "config_from_dict",
    "config_to_dict",
    "count_parameters",
    "create_model",
    "get_config",
    "load_model",
    "read_checkpoint_meta",
    "save_checkpoint",
]
