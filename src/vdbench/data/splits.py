"""Benchmark facts from the paper (design.md): splits, domains, frame rates, video sources."""

from __future__ import annotations

HUB_ID = "jmhb/VidDiffBench"

SPLIT_ACTIONS: dict[str, tuple[str, ...]] = {
    "easy": ("fitness_0", "fitness_3", "fitness_4", "fitness_6"),
    "medium": (
        "fitness_1", "fitness_2", "fitness_5", "fitness_7",
        "ballsports_0", "ballsports_1", "ballsports_2", "ballsports_3", "diving_0",
    ),
    "hard": ("music_0", "music_1", "surgery_0", "surgery_1", "surgery_2"),
}
SPLITS = ("easy", "medium", "hard")
DOMAINS = ("fitness", "ballsports", "diving", "music", "surgery")

# Frame rate the paper sends to models, per domain.
PAPER_FPS: dict[str, float] = {
    "fitness": 4, "ballsports": 5, "diving": 6, "music": 1, "surgery": 1,
}
# The paper's cap: frames for both videos together.
PAPER_MAX_FRAMES = 150

# Where each domain's videos come from, for "missing video" messages.
VIDEO_SOURCES: dict[str, str] = {
    "fitness": f"HuMMan, shipped in the hub repo as data/videos_fitness.zip ({HUB_ID})",
    "surgery": f"JIGSAWS, shipped in the hub repo as data/videos_surgery.zip ({HUB_ID})",
    "ballsports": "Ego-Exo4D (licence-gated: request access at ego-exo4d-data.org and download)",
    "music": "Ego-Exo4D (licence-gated: request access at ego-exo4d-data.org and download)",
    "diving": "FineDiving (download from the FineDiving project page)",
}
HUB_VIDEO_ZIPS = {"fitness": "data/videos_fitness.zip", "surgery": "data/videos_surgery.zip"}


def split_of_action(action: str) -> str | None:
    for split, actions in SPLIT_ACTIONS.items():
        if action in actions:
            return split
    return None
