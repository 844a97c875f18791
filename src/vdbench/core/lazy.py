"""Import by name at the moment of use: catalogs hold "module:attribute" strings."""

from __future__ import annotations

import importlib
from typing import Any


def load_target(target: str) -> Any:
    """The object named by "package.module:attribute", imported now."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)
