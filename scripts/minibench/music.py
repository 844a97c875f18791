"""Music: piano and guitar, seen from the front. Motion periods are not divisors of 1 s, so
1 fps sampling still sees different phases."""

from __future__ import annotations

import math

from PIL import ImageDraw

from .figures import add
from .spec import Action, Diff, H, Params, W

SKIN = (225, 180, 150)


def draw_piano(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    d.rectangle([0, 0, W, H], fill=(52, 40, 40))
    body_y = p["close"]
    d.ellipse([68, body_y - 34, 92, body_y - 10], fill=SKIN)  # head
    d.rectangle([56, body_y - 10, 104, body_y + 30], fill=(120, 30, 40))
    d.rectangle([0, 66, W, 104], fill=(245, 245, 240))
    for k in range(20):
        d.line([(k * 8, 66), (k * 8, 104)], fill=(90, 90, 90))
        if k % 7 not in (2, 6):
            d.rectangle([k * 8 + 5, 66, k * 8 + 11, 88], fill=(20, 20, 20))
    swing = p["range"] * math.sin(2 * math.pi * t / 3.7)
    hand_y = 92 - p["raise"]
    for side in (-1, 1):
        x = 80 + side * p["sep"] / 2 + swing
        first = int(x // 8) - int(p["chord"]) // 2 + (int(t * 2) % 2)  # chord shifts every 0.5 s
        for k in range(first, first + int(p["chord"])):
            d.rectangle([k * 8 + 1, 92, k * 8 + 7, 103], fill=(250, 200, 40))
        d.line([(80 + side * 22, body_y + 2), (x, hand_y)], fill=(120, 30, 40), width=5)
        d.ellipse([x - 7, hand_y - 5, x + 7, hand_y + 5], fill=SKIN)


def draw_guitar(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    d.rectangle([0, 0, W, H], fill=(34, 36, 46))
    d.ellipse([68, 6, 92, 30], fill=SKIN)
    d.rectangle([54, 30, 106, H], fill=(40, 100, 60))
    body = (96.0, 84.0)
    a = math.radians(p["angle"])
    direction = (-math.cos(a), -math.sin(a))
    head = add(body, direction, 84)
    d.line([body, head], fill=(90, 55, 25), width=6)
    for f in (0.3, 0.45, 0.6, 0.75, 0.9):
        fret = add(body, direction, 84 * f)
        across = (direction[1], -direction[0])
        d.line([add(fret, across, 3), add(fret, across, -3)], fill=(200, 200, 200))
    d.ellipse([body[0] - 22, body[1] - 16, body[0] + 22, body[1] + 16], fill=(170, 100, 40))
    d.ellipse([body[0] - 5, body[1] - 5, body[0] + 5, body[1] + 5], fill=(40, 25, 10))
    fret_hand = add(body, direction, 84 * p["fret"])
    d.line([(58, 40), fret_hand], fill=(40, 100, 60), width=5)
    d.ellipse([fret_hand[0] - 5, fret_hand[1] - 5, fret_hand[0] + 5, fret_hand[1] + 5], fill=SKIN)
    strum = (body[0] + 4, body[1] - 2 + p["strum"] * math.sin(2 * math.pi * t / 1.6))
    d.line([(104, 40), strum], fill=(40, 100, 60), width=5)
    d.ellipse([strum[0] - 5, strum[1] - 5, strum[0] + 5, strum[1] + 5], fill=SKIN)


ACTIONS = [
    Action(
        "music_0", "Piano playing", "Play a piece on the piano with both hands.", "music",
        {},
        (
            Diff("hand spacing", "the hands are held further apart",
                 "both hands on the keyboard", "1", "sep", 96, 44, "mid"),
            Diff("hand travel", "the hands move across a wider range of the keyboard",
                 "hands moving along the keyboard", "gt_1", "range", 26, 4, "extremes"),
            Diff("wrist height", "the wrists are held higher above the keys",
                 "hands on the keys", "1", "raise", 14, 0, "mid"),
            Diff("chords", "more keys are pressed at the same time", "keys pressed", "1",
                 "chord", 3, 1, "mid"),
            Diff("posture", "the player sits lower behind the keyboard", "player's body", "1",
                 "close", 56, 38),
            Diff("fingers", "the fingers are more curved", "fingers on the keys", "1"),
        ),
        draw_piano,
        lambda p: {"start": [0.0], "mid": [1.0, 3.0, 5.0],
                   "extremes": [3.7 / 4, 3 * 3.7 / 4, 5 * 3.7 / 4]},
    ),
    Action(
        "music_1", "Guitar strumming", "Strum chords on an acoustic guitar.", "music",
        {},
        (
            Diff("fretting position", "the fretting hand is closer to the headstock",
                 "fretting hand", "1", "fret", 0.85, 0.4, "mid"),
            Diff("strum range", "the strumming hand moves through a larger range",
                 "strumming hand", "gt_1", "strum", 16, 3, "extremes"),
            Diff("neck angle", "the guitar neck points more steeply upwards", "guitar neck", "1",
                 "angle", 40, 10, "mid"),
            Diff("rhythm", "the strumming is more even in rhythm", "strumming hand", "gt_1"),
            Diff("posture", "the player sits more upright", "player's body", "1"),
        ),
        draw_guitar,
        lambda p: {"start": [0.0], "mid": [1.0, 3.0, 5.0], "extremes": [0.4, 1.2, 2.0, 2.8]},
    ),
]
