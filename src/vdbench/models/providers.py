"""Provider adapters register themselves on import; each SDK is imported lazily inside."""

from . import anthropic_chat, gemini_chat, openai_chat  # noqa: F401
