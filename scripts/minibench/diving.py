"""Diving: side view of a forward somersault dive from a platform."""

from __future__ import annotations

import math

from PIL import ImageDraw

from .figures import Point, add, rot
from .spec import Action, Diff, Events, H, Params, W

PLATFORM_Y, WATER_Y, TAKEOFF, FLIGHT = 55, 105, 0.4, 1.4


def _path(u: float, p: Params) -> Point:
    """The diver's centre at the fraction u of the flight."""
    y0, y1 = PLATFORM_Y - 13, WATER_Y
    return 34 + p["dist"] * u, y0 + (y1 - y0) * u - 4 * p["lift"] * u * (1 - u)


def draw_dive(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    d.rectangle([0, 0, W, H], fill=(120, 170, 220))
    d.rectangle([0, WATER_Y, W, H], fill=(30, 80, 160))
    d.rectangle([0, PLATFORM_Y, 40, PLATFORM_Y + 4], fill=(90, 90, 90))
    d.rectangle([26, PLATFORM_Y + 4, 34, WATER_Y], fill=(110, 110, 110))
    u = (t - TAKEOFF) / FLIGHT
    if u < 1:
        u = max(0.0, u)
        c = _path(u, p)
        up = rot((0, -1), -360 * p["rot"] * u)  # forward somersaults, head first at entry
        head, feet = add(c, up, 11), add(c, up, -13)
        d.line([feet, head], fill=(250, 215, 180), width=4)
        d.ellipse([head[0] - 4, head[1] - 4, head[0] + 4, head[1] + 4], fill=(210, 30, 30))
    else:
        s = p["splash"] * math.sin(math.pi * min(1.0, (t - TAKEOFF - FLIGHT) / 1.0))
        x = 34 + p["dist"]
        if s > 0.5:
            d.polygon([(x - s, WATER_Y), (x, WATER_Y - 1.6 * s), (x + s, WATER_Y)],
                      fill=(245, 250, 255))


def dive_events(p: Params) -> Events:
    # apex of the path: dy/du = 0 (at the takeoff when the jump barely rises)
    y0, y1 = PLATFORM_Y - 13, WATER_Y
    u_top = max(0.05, 0.5 - (y1 - y0) / (8 * p["lift"]))
    entry = TAKEOFF + FLIGHT
    return {
        "start": [0.0], "apex": [TAKEOFF + u_top * FLIGHT],
        "flight": [TAKEOFF + f * FLIGHT for f in (0.2, 0.4, 0.6, 0.8)],
        "entry": [entry - 0.04], "splash": [entry + 0.5],
    }


ACTIONS = [
    Action(
        "diving_0", "Platform dive", "A forward somersault dive from a platform.", "diving",
        {},
        (
            Diff("jump height", "the diver jumps higher off the platform", "top of the jump", "1",
                 "lift", 50, 14, "apex"),
            Diff("somersaults", "the diver completes more somersaults",
                 "diver rotating in the air", "gt_1", "rot", 2.5, 1.5, "flight"),
            Diff("entry distance", "the diver enters the water further from the platform",
                 "entry into the water", "1", "dist", 80, 38, "entry"),
            Diff("splash", "the splash on entry is bigger", "splash", "1",
                 "splash", 22, 5, "splash"),
            Diff("legs", "the legs are kept straighter", "diver in the air", "1"),
            Diff("entry angle", "the entry is more vertical", "entry into the water", "1"),
        ),
        draw_dive, dive_events,
    ),
]
