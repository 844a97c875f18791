"""The vdbench command line."""
