"""Generate the mini ViDiC bundled with vdbench (src/vdbench/benchmarks/vidic/mini).

Seven pairs of short synthetic clips, drawn here (no ViDiC-1K content), in ViDiC-1K's
published layout: checklist/checklist.json plus data/<source>/<action>/<n>_src.mp4 and
<n>_tgt.mp4. Every checklist item is a statement about what is drawn, so the "yes" of each
difference and the "no" of each similarity are true of the pixels (tests/test_vidic_data.py
decodes the videos and checks one fact per pair).

Usage: python scripts/make_vidic_mini.py [--out DIR]
Deterministic: no randomness; the videos go through scripts/minibench's write_mp4 (same
bytes on every run with the same libx264), the checklist is written with sorted structure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from minibench.spec import H, W  # noqa: E402  (160 x 120: write_mp4 writes this size)
from minibench.write import write_mp4  # noqa: E402

OUT = ROOT / "src/vdbench/benchmarks/vidic/mini"
SECONDS = 3.0
SIDE = 24  # the square's side, px

GREY = (200, 200, 200)
GREEN = (30, 110, 60)
RED = (220, 40, 40)
BLUE = (40, 70, 220)
YELLOW = (235, 200, 40)
SKY = (120, 180, 235)
GROUND = (90, 70, 50)
ORANGE = (240, 130, 30)

Look = dict[str, object]  # one video's drawing parameters
Frame = Callable[[float, Look], Image.Image]  # (progress 0..1, look) -> frame


def _square(d: ImageDraw.ImageDraw, x: float, y: float, look: Look) -> None:
    box = (round(x), round(y), round(x) + SIDE - 1, round(y) + SIDE - 1)
    if look.get("outline"):
        d.rectangle(box, outline=look["colour"], width=4)  # type: ignore[arg-type]
    else:
        d.rectangle(box, fill=look["colour"])  # type: ignore[arg-type]


def sliding_square(t: float, look: Look) -> Image.Image:
    """A square crossing the frame left to right at mid height; maybe a yellow disc too."""
    img = Image.new("RGB", (W, H), look.get("background", GREY))  # type: ignore[arg-type]
    d = ImageDraw.Draw(img)
    _square(d, 12 + t * (W - 24 - SIDE), (H - SIDE) / 2, look)
    if look.get("disc"):
        d.ellipse((118, 84, 141, 107), fill=YELLOW)
    return img


def bobbing_square(t: float, look: Look) -> Image.Image:
    """A square moving up then down, in the left or the right third of the frame."""
    img = Image.new("RGB", (W, H), GREY)
    x = 24 if look["side"] == "left" else W - 24 - SIDE
    y = 12 + (1 - abs(2 * t - 1)) * (H - 24 - SIDE)  # down then back up
    _square(ImageDraw.Draw(img), x, y, look)
    return img


SCENE_W = 2 * W


def _scene() -> Image.Image:
    """A wide still scene the camera looks at: sky, ground, five orange posts."""
    img = Image.new("RGB", (SCENE_W, H), SKY)
    d = ImageDraw.Draw(img)
    d.rectangle((0, 80, SCENE_W - 1, H - 1), fill=GROUND)
    for x in range(20, SCENE_W, 64):
        d.rectangle((x, 40, x + 11, 95), fill=ORANGE)
    return img


def posts(t: float, look: Look) -> Image.Image:
    """The scene through a window: fixed (a still camera) or sliding right (a pan)."""
    x0 = round(t * (SCENE_W - W)) if look["pan"] else (SCENE_W - W) // 2
    return _scene().crop((x0, 0, x0 + W, H))


@dataclass(frozen=True)
class Pair:
    folder: str  # under data/: <source>/<action>, or <source> alone
    draw: Frame
    looks: tuple[Look, Look]
    differences: tuple[tuple[str, str], ...]  # (class, question): answer yes
    similarities: tuple[tuple[str, str], ...]  # (class, question): answer no
    fps: float = 8.0
    reverse_b: bool = False  # video B is video A played backwards


PAIRS: tuple[Pair, ...] = (
    Pair("shapes/change_colour", sliding_square, ({"colour": RED}, {"colour": BLUE}),
         differences=(
             ("subject", "Is the moving square red in Video A but blue in Video B?"),
         ),
         similarities=(
             ("background", "Does the background colour differ between Video A and Video B?"),
             ("motion", "Does the square move in a different direction in the two videos?"),
             ("camera", "Is there a difference in camera movement between the two videos?"),
         )),
    Pair("shapes/change_background", sliding_square,
         ({"colour": RED, "background": GREY}, {"colour": RED, "background": GREEN}),
         differences=(
             ("background", "Is the background light grey in Video A while it is dark green "
                            "in Video B?"),
         ),
         similarities=(
             ("subject", "Does the colour or shape of the moving square differ between the "
                         "two videos?"),
             ("motion", "Is the path of the square across the frame different in Video B?"),
         )),
    Pair("shapes/add_object", sliding_square,
         ({"colour": RED}, {"colour": RED, "disc": True}),
         differences=(
             ("subject", "Does Video B contain a yellow disc that does not appear in Video A?"),
             ("subject", "Does Video A show a single object, whereas Video B shows two?"),
         ),
         similarities=()),
    Pair("shapes/change_position", bobbing_square,
         ({"colour": RED, "side": "left"}, {"colour": RED, "side": "right"}),
         differences=(
             ("position", "Is the square in the left part of the frame in Video A but in the "
                          "right part in Video B?"),
         ),
         similarities=(
             ("subject", "Is the square a different colour in Video B than in Video A?"),
             ("motion", "Does the up-and-down movement of the square differ between the "
                        "videos?"),
             ("background", "Is the background different between Video A and Video B?"),
         )),
    Pair("shapes/change_style", sliding_square,
         ({"colour": BLUE}, {"colour": BLUE, "outline": True}),
         differences=(
             ("style", "Is the square drawn as a solid filled shape in Video A but only as an "
                       "outline in Video B?"),
         ),
         similarities=(
             ("motion", "Does the square travel along a different path in the two videos?"),
             ("background", "Does the background colour change between the videos?"),
             ("camera", "Does the camera move in one video but not in the other?"),
         )),
    Pair("camera/pan", posts, ({"pan": False}, {"pan": True}), fps=10.0,
         differences=(
             ("camera", "Is the camera still in Video A while it pans sideways in Video B?"),
         ),
         similarities=(
             ("style", "Is the visual style different between Video A and Video B?"),
             ("subject", "Are the posts a different colour in Video B than in Video A?"),
             ("background", "Is the sky a different colour in the two videos?"),
         )),
    Pair("playback", sliding_square, ({"colour": RED}, {"colour": RED}), reverse_b=True,
         differences=(
             ("playback technique", "Is Video B the same clip as Video A played in reverse?"),
             ("motion", "Does the square travel from left to right in Video A but from right "
                        "to left in Video B?"),
         ),
         similarities=(
             ("subject", "Does the square's colour differ between the two videos?"),
             ("background", "Is the background of Video B different from that of Video A?"),
         )),
)


def _items(entries: tuple[tuple[str, str], ...], answer: str) -> list[dict[str, str]]:
    # The published entries also carry empty "answer" and "explanation" fields.
    return [{"class": c, "question": q, "correct_answer": answer, "answer": "",
             "explanation": ""} for c, q in entries]


def write_pair(out: Path, index: int, pair: Pair) -> dict:
    """Render and write the two videos of one pair; its checklist entry."""
    n = round(SECONDS * pair.fps)
    paths = []
    for role, look in zip(("src", "tgt"), pair.looks):
        frames = [pair.draw(i / (n - 1), look) for i in range(n)]
        if role == "tgt" and pair.reverse_b:
            frames = frames[::-1]
        rel = f"data/{pair.folder}/{index}_{role}.mp4"
        write_mp4(out / rel, frames, pair.fps)
        paths.append(rel)
    return {
        "index": index,
        "video1_path": paths[0],
        "video2_path": paths[1],
        "structured_analysis": {
            "Similarities": _items(pair.similarities, "no"),
            "Differences": _items(pair.differences, "yes"),
        },
    }


def readme(entries: list[dict]) -> str:
    lines = [
        "# vdbench mini ViDiC",
        "",
        "Synthetic pairs drawn by `scripts/make_vidic_mini.py` (do not edit by hand: rerun",
        "`python scripts/make_vidic_mini.py`). No ViDiC-1K content: the clips and the",
        "questions are vdbench's own, under vdbench's licence. The layout is ViDiC-1K's",
        "published one: `checklist/checklist.json` and the videos at the paths it gives,",
        "relative to this folder. Each difference (answer yes) and each similarity (a",
        "question about a difference that is not there, answer no) is true of the pixels;",
        "tests/test_vidic_data.py checks one fact per pair on the decoded frames.",
        "For smoke tests only: scores on it say nothing about ViDiC-1K.",
        "",
    ]
    for e, pair in zip(entries, PAIRS):
        sa = e["structured_analysis"]
        classes = sorted({i["class"] for i in sa["Differences"]})
        n_sim = len(sa["Similarities"])
        lines.append(f"- {e['index']}: `{pair.folder}`, {pair.fps:g} fps, "
                     f"{len(sa['Differences'])} difference(s) ({', '.join(classes)}), "
                     f"{n_sim} similarit{'y' if n_sim == 1 else 'ies'}. "
                     f"{sa['Differences'][0]['question']}")
    return "\n".join(lines) + "\n"


def build(out: Path) -> int:
    """Write the mini ViDiC into `out` (its checklist/ and data/ are replaced)."""
    for sub in ("checklist", "data"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "checklist").mkdir(parents=True)
    entries = [write_pair(out, i, pair) for i, pair in enumerate(PAIRS)]
    (out / "checklist" / "checklist.json").write_text(
        json.dumps(entries, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "README.md").write_text(readme(entries), encoding="utf-8")
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{len(entries)} pairs, {size / 1e3:.0f} kB in {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    return build(ap.parse_args(argv).out)


if __name__ == "__main__":
    raise SystemExit(main())
