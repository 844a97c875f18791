"""Surgery: a suturing pad seen from above, with two instruments coming in from the top corners."""

from __future__ import annotations

import math

from PIL import ImageDraw

from .figures import Point
from .spec import Action, Diff, H, Params, W

WOUND_Y = 65
STEEL = (185, 185, 195)


def _pad(d: ImageDraw.ImageDraw) -> None:
    d.rectangle([0, 0, W, H], fill=(40, 90, 80))
    d.rectangle([18, 28, 142, 104], fill=(232, 164, 160))
    d.line([(34, WOUND_Y), (126, WOUND_Y)], fill=(150, 40, 50), width=2)


def _instrument(d: ImageDraw.ImageDraw, tip: Point, side: int) -> None:
    base = (W / 2 + side * 100, -30.0)
    d.line([base, tip], fill=STEEL, width=4)
    d.line([tip, (tip[0] + side * 3, tip[1] + 5)], fill=STEEL, width=2)  # jaw


def draw_suturing(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _pad(d)
    n = int(p["n"])
    done = [k for k in range(n) if t >= (k + 1) * 5.2 / (n + 1)]
    for k in done:
        x = 80 + (k - (n - 1) / 2) * p["spacing"]
        d.line([(x, WOUND_Y - p["bite"]), (x, WOUND_Y + p["bite"])], fill=(30, 40, 150), width=2)
    k = min(len(done), n - 1)
    x = 80 + (k - (n - 1) / 2) * p["spacing"]
    _instrument(d, (x - p["sep"] / 2, WOUND_Y - 14), -1)
    _instrument(d, (x + p["sep"] / 2, WOUND_Y - 10), 1)


def draw_knot(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _pad(d)
    dx = p["amp"] * math.sin(2 * math.pi * t / 2.3)
    left, right = (52 + dx, 44.0), (108 + dx, 46.0)
    d.line([(80, WOUND_Y), (66, 56), left], fill=(120, 60, 170), width=2)
    r = p["loop"]
    d.ellipse([right[0] - r, right[1] - r + 8, right[0] + r, right[1] + r + 8],
              outline=(120, 60, 170), width=2)
    _instrument(d, left, -1)
    _instrument(d, right, 1)
    for k in range(int(p["wraps"])):  # wraps around the right instrument's shaft, above the tip
        c = (right[0] + 7 + 6 * k, right[1] - 5 - 5 * k)
        d.ellipse([c[0] - 6, c[1] - 3, c[0] + 6, c[1] + 3], outline=(120, 60, 170), width=2)


def draw_needle_pass(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _pad(d)
    y = p["y"]
    gap = 6 + (p["sep"] / 2 - 6) * min(1.0, abs(t - p["handoff"]) / 1.0)  # tips meet at hand-off
    left, right = (80 - gap, y), (80 + gap, y)
    _instrument(d, left, -1)
    _instrument(d, right, 1)
    holder = left if t < p["handoff"] else right
    x, y = holder
    d.arc([x - 9, y + 1, x + 9, y + 19], 180, 360, fill=(60, 60, 75), width=3)


ACTIONS = [
    Action(
        "surgery_0", "Suturing", "Place interrupted stitches across an incision on a training pad.",
        "surgery",
        {},
        (
            Diff("stitch count", "more stitches are placed", "stitches across the incision", "gt_1",
                 "n", 5, 2, "end"),
            Diff("stitch spacing", "the stitches are spaced further apart",
                 "stitches across the incision", "1", "spacing", 20, 10, "end"),
            Diff("bite width",
                 "each stitch takes a wider bite of tissue on both sides of the incision",
                 "stitches across the incision", "1",
                 "bite", 12, 5, "end"),
            Diff("instrument spacing", "the instrument tips are held further apart",
                 "instrument tips", "1", "sep", 60, 24, "mid"),
            Diff("needle angle", "the needle enters the tissue more perpendicularly",
                 "needle entering the tissue", "1"),
            Diff("tension", "the suture is pulled tighter", "suture", "1"),
        ),
        draw_suturing,
        lambda p: {"start": [0.0], "mid": [1.0, 2.0], "end": [5.5]},
    ),
    Action(
        "surgery_1", "Knot tying", "Tie an instrument knot with the suture.", "surgery",
        {},
        (
            Diff("loop size", "the suture loop is larger", "suture loop", "1",
                 "loop", 16, 6, "mid"),
            Diff("wraps", "the suture is wrapped around the instrument more times",
                 "suture wrapped around the instrument", "1", "wraps", 3, 1, "mid"),
            Diff("instrument motion", "the instruments move through a wider range",
                 "instruments moving", "gt_1", "amp", 26, 5, "extremes"),
            Diff("tightening", "the knot is tightened more firmly", "knot", "gt_1"),
            Diff("knot position", "the knot lies flatter on the tissue", "knot", "1"),
        ),
        draw_knot,
        lambda p: {"start": [0.0], "mid": [1.0, 3.0],
                   "extremes": [2.3 / 4, 3 * 2.3 / 4, 5 * 2.3 / 4]},
    ),
    Action(
        "surgery_2", "Needle passing", "Pass the needle from the left instrument to the right one.",
        "surgery",
        {},
        (
            Diff("hand-off time", "the needle is handed over earlier",
                 "needle changing instruments", "gt_1", "handoff", 1.5, 4.5, "handoff"),
            Diff("hand-off position", "the needle is handed over further from the incision",
                 "needle between the instruments", "1", "y", 34, 58, "handoff"),
            Diff("instrument spacing",
                 "the instruments are held further apart before and after the hand-off",
                 "instruments apart", "1",
                 "sep", 76, 30, "start"),
            Diff("grip", "the needle is grasped closer to its tip",
                 "needle in the instrument", "1"),
            Diff("rotation", "the needle is rotated more before the hand-off", "needle", "1"),
        ),
        draw_needle_pass,
        lambda p: {"start": [0.0, 5.5], "handoff": [p["handoff"]]},
    ),
]
