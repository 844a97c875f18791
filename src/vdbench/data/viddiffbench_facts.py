"""VidDiffBench's facts from the paper (docs/protocol.md): its hub id, splits, domains,
per-domain frame rates, video sources, and the paper's counts."""

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
    "fitness": 4.0, "ballsports": 5.0, "diving": 6.0, "music": 1.0, "surgery": 1.0,
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


# --- The paper's counts, for `vdbench data check` ---------------------------------------------
# Source: "Video Action Differencing" (Burgess et al., ICLR 2025), arXiv 2503.07860v1 (HTML),
# read through the copy of its tables in deep-diver/ai-paper-reviewer
# (content/2025-03-12/2503.07860/index.md, table ids S4.T1, A3.T6, A4.T8). Table 6 ("The
# difficulty splits with action code and names") gives each action's split (SPLIT_ACTIONS
# above) but no counts; the counts are in Table 1 and Table 8.

# Abstract and Table 1, "Total" row. The paper does not say how a "timestamp" is counted, and
# its per-domain timestamps (Table 1) add up to 2,037, not 2,075.
PAPER_TOTALS: dict[str, int] = {"actions": 18, "pairs": 549, "differences": 4469,
                                "timestamps": 2075}

# Table 1 ("Summary of VidDiffBench statistics across categories and datasets"), one row per
# domain: activities (actions), video pairs, annotated differences, localization timestamps.
PAPER_DOMAIN_COUNTS: dict[str, dict[str, int]] = {
    "fitness": {"actions": 8, "pairs": 193, "differences": 1466, "timestamps": 310},
    "ballsports": {"actions": 4, "pairs": 98, "differences": 996, "timestamps": 595},
    "surgery": {"actions": 3, "pairs": 166, "differences": 1386, "timestamps": 672},
    "music": {"actions": 2, "pairs": 29, "differences": 180, "timestamps": 320},
    "diving": {"actions": 1, "pairs": 63, "differences": 441, "timestamps": 140},
}

# Table 8 ("Detailed data statistics by split"), as printed. It counts an earlier version of
# the data: 557 pairs (the hub's first release also had 557 rows) and 4,719 differences
# labelled a, b or c (1,224 / 1,247 / 2,248). Its medium and hard A/B/C rows add up to each
# other's "Difference annotations count" (622+605+1143 = 2,370; 435+452+884 = 1,771), so one
# of the two rows is swapped in the paper.
PAPER_SPLIT_COUNTS: dict[str, dict[str, int]] = {
    "easy": {"pairs": 95, "differences": 578, "a": 167, "b": 190, "c": 221},
    "medium": {"pairs": 265, "differences": 1771, "a": 622, "b": 605, "c": 1143},
    "hard": {"pairs": 197, "differences": 2370, "a": 435, "b": 452, "c": 884},
}
