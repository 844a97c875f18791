"""Types, errors, files and settings that every other layer may use; imports nothing of vdbench."""
