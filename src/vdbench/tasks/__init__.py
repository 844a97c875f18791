"""Tasks: the prompts a mode sends and the parsing of what comes back."""
