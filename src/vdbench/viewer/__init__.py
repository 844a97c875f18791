"""`vdbench view RUN`: one static page per run folder (RUN/view/index.html) showing every
sample with the frames the model was shown, the annotated differences and their labels, the
model's answers, and in open mode the judge's matching. The top layer beside leaderboard: it
reads runs through pipeline, scoring, frames, data and core, and only cli imports it."""

from vdbench.viewer.build import build_view
from vdbench.viewer.command import COMMANDS, add_commands, cmd_view

__all__ = ["COMMANDS", "add_commands", "build_view", "cmd_view"]
