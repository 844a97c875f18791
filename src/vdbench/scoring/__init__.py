"""Scoring: closed accuracy and its statistics."""
