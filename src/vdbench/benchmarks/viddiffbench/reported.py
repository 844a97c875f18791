"""The paper's published numbers (VidDiffBench, ICLR 2025, arXiv 2503.07860;
docs/protocol.md): copied, not reproduced by vdbench."""

from __future__ import annotations

from vdbench.benchmarks.spec import Reported
from vdbench.data.viddiffbench_facts import SPLITS

PAPER = "arXiv 2503.07860, ICLR 2025"
PAPER_OPEN_JUDGE = "gpt-4o-2024-08-06 (matching), gpt-4o-mini (flip check)"

# percent: easy, medium, hard, average
CLOSED_ACCURACY: dict[str, tuple[float, float, float, float]] = {
    "GPT-4o": (58.3, 53.2, 48.9, 53.5),
    "Gemini-1.5-Pro": (67.8, 53.6, 51.7, 57.7),
    "Claude-3.5-Sonnet": (57.1, 50.5, 52.5, 53.4),
    "LLaVA-Video-7B": (56.6, 52.0, 48.3, 52.3),
    "Qwen2-VL-7B": (49.0, 52.6, 49.6, 50.4),
    "VidDiff method": (62.7, 56.2, 50.0, 56.3),
}
OPEN_RECALL: dict[str, tuple[float, float, float, float]] = {
    "GPT-4o": (45.7, 41.5, 38.0, 41.7),
    "Gemini-1.5-Pro": (30.3, 30.5, 24.1, 28.3),
    "Claude-3.5-Sonnet": (37.8, 34.6, 34.3, 35.6),
    "LLaVA-Video-7B": (7.8, 9.0, 8.5, 8.4),
    "Qwen2-VL-7B": (11.2, 8.8, 1.6, 7.2),
    "VidDiff method": (49.9, 37.9, 38.5, 42.1),
}
SNAPSHOTS = {"GPT-4o": "gpt-4o-2024-08-06"}


def paper_results() -> list[Reported]:
    out = []
    for mode, table, judge in (("closed", CLOSED_ACCURACY, None),
                               ("open", OPEN_RECALL, PAPER_OPEN_JUDGE)):
        for method, numbers in table.items():
            *per_split, average = (round(v / 100, 4) for v in numbers)
            out.append(Reported(method, mode, average, dict(zip(SPLITS, per_split)), PAPER,
                                judge=judge, snapshot=SNAPSHOTS.get(method)))
    return out
