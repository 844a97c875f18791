"""ViDiC-1K's section of the leaderboard: its columns and notes."""

from __future__ import annotations

from vdbench.benchmarks.board_layout import Layout

# the classes in the order of the authors' README table
VIDIC_CLASSES = ("subject", "motion", "position", "background", "camera", "style",
                 "playback technique")

BOARD = Layout(
    headline_title="Accuracy",
    metrics=(("difference_accuracy", "Difference"), ("similarity_accuracy", "Similarity")),
    breakdown="class",
    chance_text="a text that states no difference scores",
    groups=tuple((c, c.capitalize()) for c in VIDIC_CLASSES),
    notes=(
        "Accuracy: the share of checklist questions (difference and similarity items of "
        "every pair) the judge finds the model's comparison text answers correctly, with a "
        "95% bootstrap interval over pairs; Difference and Similarity: the same over each "
        "kind of item; the class columns: over the items of each class. Rank: by "
        "Accuracy, within one table.",
        "Judges: a table holds the rows of one judge (its model, prompts and settings); "
        "rows scored by different judges (gpt-5-mini as the authors, another model, the "
        "offline smoke-test judge) are never ranked together. The authors' numbers were "
        "judged by gpt-5-mini.",
        "Chance: a text that states no difference scores the share of similarity items "
        "(the random baseline's texts); the table's caption gives that level where its "
        "rows agree on it.",
    ),
)
