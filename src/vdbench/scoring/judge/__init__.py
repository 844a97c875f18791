"""Judges match generated differences to the annotated ones and check their direction:
the interface (base.py), the offline and LLM judges, and `select.get_judge`."""
