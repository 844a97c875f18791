"""The VidDiff method (ICLR 2025): proposer (LLM) -> frame localizer (CLIP + Viterbi) ->
frame differencer (VLM). Importing this package registers the model `viddiff`."""

from .config import ViddiffConfig
from .model import ViddiffModel

__all__ = ["ViddiffConfig", "ViddiffModel"]
