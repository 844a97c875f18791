"""The model-call layer: typed requests, provider adapters (one module per SDK, each imported
only when used), and the runtime every call goes through (cache, limits, retries, cost)."""
