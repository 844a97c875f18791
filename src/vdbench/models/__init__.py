from .base import (
    DiffPrediction,
    EvalItem,
    Model,
    ModelInfo,
    ModelOptions,
    SampleOutput,
    get_model,
    list_models,
    register,
)

__all__ = [
    "DiffPrediction", "EvalItem", "Model", "ModelInfo", "ModelOptions", "SampleOutput",
    "get_model", "list_models", "register",
]
