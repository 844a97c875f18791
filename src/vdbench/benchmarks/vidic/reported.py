"""The results ViDiC-1K's authors published: the "Overall Model Performance" table of their
README (github NJU-LINK/ViDiC-1K, commit d00446f1, README.md line 89 on), as fractions.

Why the README and not the arXiv paper: the README's table is the authors' latest, it scores
the published checklist (its Avg. is, within rounding, the item-weighted mean of its Diff. and
Sim. with that checklist's 3051 difference and 1056 similarity items: docs/vidic.md), and it
can be checked at a commit. Numbers quoted elsewhere (Gemini-2.5-Pro 66.72, GPT-5 62.94,
Qwen3-VL-32B 61.38, GPT-4o 49.95, Qwen2.5-VL-7B 39.39) are not in it; they could not be
checked against the paper here and are not used."""

from __future__ import annotations

from vdbench.benchmarks.spec import Reported

SOURCE = ("ViDiC-1K README (github NJU-LINK/ViDiC-1K), Overall Model Performance table")
COLUMNS = ("accuracy", "difference_accuracy", "similarity_accuracy", "subject", "motion",
           "position", "background", "camera", "style", "playback technique")
# model: (Avg., Diff., Sim., Subject, Motion, Pos., Backgr., Cam., Style, Tech.), percent
TABLE: dict[str, tuple[float, ...]] = {
    "Human": (94.46, 92.99, 98.57, 96.36, 94.36, 90.14, 96.70, 92.90, 82.31, 97.18),
    "Gemini-2.5-Pro": (69.33, 66.84, 76.27, 71.95, 61.71, 70.42, 75.47, 60.41, 79.27, 66.20),
    "Gemini-3.0-Flash": (65.81, 60.04, 81.87, 66.17, 57.78, 68.31, 69.31, 63.88, 77.44, 61.97),
    "Gemini-2.5-Flash": (63.73, 57.87, 80.04, 66.60, 56.92, 64.79, 66.12, 58.99, 81.71, 42.25),
    "GPT-5": (62.26, 62.03, 62.90, 62.63, 56.79, 68.05, 74.03, 49.75, 61.18, 40.62),
    "Qwen3-VL-32B": (63.90, 62.75, 67.11, 66.64, 55.38, 69.01, 70.30, 58.20, 62.20, 45.07),
    "Qwen3-VL-8B (thinking)": (57.57, 49.43, 80.24, 59.70, 48.03, 59.86, 62.27, 54.73, 71.95,
                               26.76),
    "Qwen3-VL-8B": (55.75, 50.99, 69.04, 56.76, 46.84, 58.45, 64.91, 49.21, 62.20, 29.58),
    "InternVL-3.5-38B (thinking)": (53.62, 47.64, 70.26, 54.48, 43.42, 53.17, 64.36, 49.21,
                                    54.27, 26.76),
    "MiMo-VL-SFT-7B (thinking)": (51.26, 41.20, 79.33, 51.72, 39.32, 49.30, 55.78, 53.31,
                                  71.95, 26.76),
    "Qwen2.5-VL-72B-Instruct": (46.22, 38.04, 69.01, 45.00, 35.10, 47.54, 53.74, 45.34, 62.80,
                                23.94),
    "InternVL-3.5-38B": (45.85, 36.83, 70.98, 45.11, 40.00, 45.94, 51.71, 42.74, 61.59, 21.13),
    "InternVL-3.5-8B (thinking)": (45.78, 37.80, 68.02, 46.23, 33.68, 46.48, 53.14, 42.74,
                                   66.46, 21.13),
    "Qwen2.5-VL-32B-Instruct": (45.30, 35.55, 72.48, 45.28, 35.62, 46.83, 52.53, 43.92, 52.44,
                                22.54),
    "Keye-VL-1.5-8B (thinking)": (45.24, 30.94, 85.12, 43.99, 35.89, 45.55, 50.72, 45.76,
                                  63.98, 21.43),
    "MiMo-VL-SFT-7B": (43.09, 33.27, 70.47, 45.67, 32.82, 43.31, 44.88, 45.58, 51.83, 22.54),
    "Qwen2.5-VL-7B-Instruct": (38.68, 25.90, 74.31, 35.95, 32.53, 35.21, 41.52, 43.44, 57.32,
                               22.54),
    "InternVL-3.5-8B": (38.18, 29.34, 62.83, 39.33, 30.48, 38.03, 43.89, 33.12, 54.88, 18.31),
    "Keye-VL-1.5-8B": (38.12, 28.94, 63.74, 38.51, 31.53, 34.52, 43.72, 35.52, 51.55, 21.43),
    "GLM-4.1V-9B (thinking)": (36.51, 29.04, 57.33, 38.30, 30.94, 33.10, 40.81, 34.38, 41.46,
                               21.13),
    "Kimi-VL-A3B-16B (thinking)": (34.82, 21.23, 72.71, 33.21, 28.03, 31.34, 35.97, 40.69,
                                   52.44, 21.13),
    "InternVideo2.5-7B": (34.18, 16.95, 82.26, 29.76, 30.60, 32.75, 33.00, 42.74, 57.32, 21.13),
    "LLaVA-V1.6-Vicuna-7B": (25.19, 0.58, 93.79, 17.89, 25.98, 22.18, 17.16, 43.69, 49.39,
                             22.54),
    "ViDiC-Qwen-7B (authors')": (50.43, 41.72, 74.69, 50.37, 38.70, 52.11, 57.38, 48.73, 68.10,
                                 26.76),
}
NOTES = {
    "Human": "human annotators, not a model",
    "ViDiC-Qwen-7B (authors')": "the authors' fine-tuned model",
}


JUDGE = "gpt-5-mini"  # the authors' judge/judge.py scored every row of their table


def reported_rows() -> list[Reported]:
    out = []
    for method, values in TABLE.items():
        headline, *columns = (round(v / 100, 4) for v in values)
        note = NOTES.get(method, "the README marks it as a thinking model"
                         if "thinking" in method else "")
        out.append(Reported(method, "compare", headline, dict(zip(COLUMNS[1:], columns)),
                            SOURCE, judge=JUDGE, notes=note))
    return out
