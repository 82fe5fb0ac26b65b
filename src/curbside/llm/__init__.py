"""Optional LLM writer: any OpenAI-compatible chat server, under strict citation verification."""

from curbside.llm.client import (
    LLM,
    LLMBadOutput,
    LLMError,
    LLMUnavailable,
    Message,
    OpenAICompatibleLLM,
)

__all__ = [
    "LLM",
    "LLMBadOutput",
    "LLMError",
    "LLMUnavailable",
    "Message",
    "OpenAICompatibleLLM",
]
