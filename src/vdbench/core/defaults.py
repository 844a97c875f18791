"""Every run-wide default, in one place: the configuration, the CLI's help and the Python API
read these names (as inspect_ai's constants), so a default is changed once."""

from __future__ import annotations

DATA = "mini"  # the small benchmark bundled with the package
SPLIT = "all"
SEED = 0
CONCURRENCY = 8  # requests in flight at once
FRAME_CACHE_GB = 20.0  # the frame cache's size limit (least recently used clips go first)
PROTOCOL = "paper"
JUDGE = "default"  # the protocol's judge
MAX_FAILURES = "0"  # samples that may fail with the run still complete
EPOCHS = 1
