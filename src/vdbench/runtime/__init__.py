"""The request runtime every provider adapter runs under: cache, limits, retries, cost."""

from .cache import ResponseCache, request_key
from .cost import PRICES, Price, RequestEstimate, estimate_request, usage_cost
from .errors import FatalError, RetryableError, classify, scrub, summarize
from .retry import RetryPolicy
from .runtime import Runtime, RuntimeSettings, RuntimeStats, get_runtime

__all__ = [
    "PRICES", "FatalError", "Price", "RequestEstimate", "ResponseCache", "RetryPolicy",
    "RetryableError", "Runtime", "RuntimeSettings", "RuntimeStats", "classify",
    "estimate_request", "get_runtime", "request_key", "scrub",
    "summarize", "usage_cost",
]
