"""vdbench: the evaluation harness for VidDiffBench (Video Action Differencing)."""

__version__ = "0.1.0"
