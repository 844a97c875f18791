"""Errors the CLI maps to exit codes (README, "Exit codes": 2 = bad input, 1 = failure)."""

from __future__ import annotations


class InputError(Exception):
    """Bad input from the user: exit code 2. The message names the file, sample and key."""

    def __init__(self, message: str, *, problems: list[str] | None = None):
        self.problems = problems or []
        super().__init__(message)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class RunFailure(Exception):
    """Something outside the user's input failed (a download, a service): exit code 1."""


class MissingExtraError(ImportError):
    """An optional dependency is not installed."""

    def __init__(self, module: str, extra: str):
        super().__init__(
            f"{module!r} is not installed; install it with: pip install 'vdbench[{extra}]'"
        )


def require(module: str, extra: str):
    """Import an optional module lazily, naming the extra that provides it when missing."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module, extra) from exc
