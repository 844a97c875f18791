"""Benchmark data: typed samples and the loaders for mini, local folders and the hub."""
