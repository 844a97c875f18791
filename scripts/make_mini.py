"""Generate the mini benchmark bundled with vdbench (src/vdbench/data/mini).

The videos are drawn, not filmed: every annotated difference is one parameter of the rendered
motion (squat depth, dribble height, somersault count...). For a labelled key the generator gives
the video labelled a or b the value that makes the description more true; "c" means both videos
use the same value. So every a/b label is true of the pixels, and a model that compares the frames
at the paper's frame rates can score well.

Layout = the hub's: data/test-00000-of-00001.parquet plus videos/<domain>/..., with video paths in
the rows relative to the mini folder. Fitness videos are folders of JPEG frames (8 fps, like
HuMMan); the other domains are H.264 .mp4 files (mpeg4 when libx264 is missing).

retrieval_frames convention: an index i is frame i of the trimmed clip counted at fps_original,
i.e. original frame frames_trim.start + i (so its time is i / fps_original). In a clip trimmed
with step > 1 the indices are multiples of the step, so they name frames the clip keeps.

Usage: python scripts/make_mini.py [--out DIR]     (default: src/vdbench/data/mini)
Deterministic: same seed, same bytes (libx264 runs single-threaded for that).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # so the script runs from a checkout without installing
from vdbench.data.schema import Difference, Label, Sample, VideoRef, sample_to_row
from vdbench.data.splits import split_of_action

SEED = 20250307
W, H = 160, 120
FPS = {"fitness": 8.0, "ballsports": 30.0, "diving": 25.0, "music": 30.0, "surgery": 30.0}
SECONDS = {"fitness": 4.0, "ballsports": 4.0, "diving": 3.0, "music": 6.0, "surgery": 6.0}

Params = dict[str, float]
Events = dict[str, list[float]]  # event name -> times (seconds from the start of the clip)
Draw = Callable[[ImageDraw.ImageDraw, float, Params], None]


# ---------------------------------------------------------------------------------------------
# Action specs


@dataclass(frozen=True)
class Diff:
    """One difference key of an action's taxonomy."""

    name: str
    description: str  # comparative statement, more true of the video that gets `more`
    query: str
    num_frames: str  # "1": visible in one frame; "gt_1": needs several frames
    param: str | None = None  # None: not rendered (may only be left unlabelled)
    more: float = 0.0
    less: float = 0.0
    event: str = "start"  # the event whose frames show it best (retrieval_frames)


@dataclass(frozen=True)
class Action:
    action: str
    name: str
    description: str
    domain: str
    base: Params  # values of parameters no difference key controls
    diffs: tuple[Diff, ...]
    draw: Draw
    events: Callable[[Params], Events]


def _times(start: float, period: float, seconds: float) -> list[float]:
    return [t for k in range(100) if (t := start + k * period) < seconds]


# ---------------------------------------------------------------------------------------------
# Stick figure (fitness, ballsports). Front view, image y grows downwards.

GROUND = 114
THIGH = SHIN = 21
TORSO, HEAD_R, ARM = 26, 7, 22
FIGURE = (235, 235, 235)


@dataclass(frozen=True)
class Pose:
    cx: float = 80
    lift: float = 0  # whole body up (jump), px
    squat: float = 0  # hip drop, px
    stance: float = 9  # half the distance between the feet, px
    arm_l: float = 15  # arm angle: 0 hangs down, 90 sideways, 180 straight up (degrees)
    arm_r: float = 15
    knee_l: float = 0  # thigh raised towards the camera: 0 down, 90 horizontal (degrees)
    knee_r: float = 0
    lean: float = 0  # torso bent to the image left (+) or right (-), degrees
    kick: float = 0  # right leg swung out straight, degrees
    hand_r: tuple[float, float] | None = None  # right hand pinned to a point (holds a ball)


def _rot(v: tuple[float, float], deg: float) -> tuple[float, float]:
    a = math.radians(deg)
    return (v[0] * math.cos(a) + v[1] * math.sin(a), -v[0] * math.sin(a) + v[1] * math.cos(a))


def _add(p: tuple[float, float], v: tuple[float, float], k: float = 1.0) -> tuple[float, float]:
    return (p[0] + k * v[0], p[1] + k * v[1])


def _knee(hip: tuple[float, float], foot: tuple[float, float], out: float) -> tuple[float, float]:
    """Knee of a two-segment leg, bent outwards (sign of `out`) when hip and foot are close."""
    dx, dy = foot[0] - hip[0], foot[1] - hip[1]
    d = math.hypot(dx, dy)
    bend = math.sqrt(max(0.0, THIGH**2 - (d / 2) ** 2))
    nx, ny = -dy / d, dx / d
    if nx * out < 0:
        nx, ny = -nx, -ny
    return (hip[0] + dx / 2 + bend * nx, hip[1] + dy / 2 + bend * ny)


def draw_figure(d: ImageDraw.ImageDraw, p: Pose, color=FIGURE) -> None:
    foot_y = GROUND - p.lift
    legs_h = math.sqrt((THIGH + SHIN) ** 2 - max(0.0, p.stance - 4) ** 2)
    hip_c = (p.cx, foot_y - legs_h + p.squat)
    for side, knee_deg in ((-1, p.knee_l), (1, p.knee_r)):
        hip = (p.cx + 4 * side, hip_c[1])
        if side == 1 and p.kick > 0:
            kick = math.radians(p.kick)
            foot = _add(hip, (math.sin(kick), math.cos(kick)), THIGH + SHIN)
            knee = ((hip[0] + foot[0]) / 2, (hip[1] + foot[1]) / 2)
        elif knee_deg > 0:  # thigh comes towards the camera: it looks shorter, the shin hangs
            knee = (hip[0] + 2 * side, hip[1] + THIGH * math.cos(math.radians(knee_deg)))
            foot = (knee[0], knee[1] + SHIN)
        else:
            foot = (p.cx + p.stance * side, foot_y)
            knee = _knee(hip, foot, side)
        d.line([hip, knee, foot], fill=color, width=3)
    up = _rot((0, -1), p.lean)
    neck = _add(hip_c, up, TORSO)
    d.line([hip_c, neck], fill=color, width=3)
    side_v = _rot((1, 0), p.lean)
    for side, arm_deg in ((-1, p.arm_l), (1, p.arm_r)):
        shoulder = _add(neck, side_v, 6 * side)
        if side == 1 and p.hand_r is not None:
            hand = p.hand_r
        else:
            a = math.radians(arm_deg)
            hand = _add(shoulder, _rot((side * math.sin(a), math.cos(a)), p.lean), ARM)
        d.line([shoulder, hand], fill=color, width=3)
    head = _add(neck, up, HEAD_R + 2)
    d.ellipse([head[0] - HEAD_R, head[1] - HEAD_R, head[0] + HEAD_R, head[1] + HEAD_R], fill=color)


def _gym(d: ImageDraw.ImageDraw) -> None:
    d.rectangle([0, 0, W, H], fill=(38, 44, 62))
    d.rectangle([0, GROUND + 2, W, H], fill=(70, 58, 46))


def _cycle(t: float, period: float) -> float:
    """0 at the start of each repetition, 1 halfway through."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * t / period)


def fitness_action(action: str, name: str, description: str, base: Params,
                   diffs: tuple[Diff, ...], pose: Callable[[float, Params], Pose],
                   events: Callable[[Params], Events]) -> Action:
    def draw(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
        _gym(d)
        draw_figure(d, pose(t, p))

    return Action(action, name, description, "fitness", base, diffs, draw, events)


def squat_pose(t: float, p: Params) -> Pose:
    s = _cycle(t, p["period"])
    arm = 15 + p["arm"] * s
    return Pose(squat=p["depth"] * s, stance=p["stance"], arm_l=arm, arm_r=arm)


def jacks_pose(t: float, p: Params) -> Pose:
    s = _cycle(t, p["period"])
    arm = 20 + (p["arm"] - 20) * s
    lift = p["jump"] * abs(math.sin(2 * math.pi * t / p["period"]))
    return Pose(lift=lift, stance=8 + (p["spread"] - 8) * s, arm_l=arm, arm_r=arm)


def raise_pose(t: float, p: Params) -> Pose:
    s = _cycle(t, p["period"])
    arm = 10 + p["arm"] * s
    return Pose(squat=p["dip"] * s, stance=p["stance"], arm_l=arm, arm_r=arm)


def bend_pose(t: float, p: Params) -> Pose:
    return Pose(
        lean=p["lean"] * math.sin(2 * math.pi * t / p["period"]),
        stance=p["stance"], arm_l=p["arm"], arm_r=p["arm"],
    )


def jump_squat_pose(t: float, p: Params) -> Pose:
    u = (t % p["cycle"]) / p["cycle"]  # 0-0.4 squat down and up, 0.4-0.8 in the air, then stand
    squat = p["depth"] * math.sin(math.pi * u / 0.4) if u < 0.4 else 0.0
    air = math.sin(math.pi * (u - 0.4) / 0.4) if 0.4 <= u < 0.8 else 0.0
    arm = 15 + (p["arm"] - 15) * air
    return Pose(lift=p["jump"] * air, squat=squat, stance=p["stance"], arm_l=arm, arm_r=arm)


def high_knees_pose(t: float, p: Params) -> Pose:
    s = math.sin(2 * math.pi * t / p["period"])
    left, right = max(0.0, s), max(0.0, -s)
    return Pose(
        stance=p["stance"], knee_l=p["knee"] * left, knee_r=p["knee"] * right,
        arm_l=15 + p["arm"] * right, arm_r=15 + p["arm"] * left,  # opposite arm swings
    )


def _every(offsets: tuple[float, ...], key: str = "period") -> Callable[[Params], list[float]]:
    """Times at the given fractions of each repetition."""
    def times(p: Params) -> list[float]:
        return sorted(t for o in offsets for t in _times(o * p[key], p[key], SECONDS["fitness"]))
    return times


def _fitness_events(**named: Callable[[Params], list[float]]) -> Callable[[Params], Events]:
    return lambda p: {"start": [0.0], **{k: f(p) for k, f in named.items()}}


FITNESS = [
    fitness_action(
        "fitness_0", "Bodyweight squat", "Squat down by bending the knees, then stand up again.",
        {},
        (
            Diff("squat depth", "the squat is deeper", "bottom of the squat", "1",
                 "depth", 24, 8, "bottom"),
            Diff("speed", "the squats are performed faster", "squatting up and down", "gt_1",
                 "period", 1.0, 2.0, "bottom"),
            Diff("stance width", "the feet are placed wider apart", "feet on the floor", "1",
                 "stance", 20, 8),
            Diff("arm raise", "the arms are raised higher at the bottom of the squat",
                 "bottom of the squat", "1", "arm", 110, 30, "bottom"),
            Diff("back angle", "the back stays more upright", "bottom of the squat", "1"),
            Diff("heels", "the heels stay on the floor", "bottom of the squat", "1"),
        ),
        squat_pose, _fitness_events(bottom=_every((0.5,))),
    ),
    fitness_action(
        "fitness_3", "Jumping jacks", "Jump the feet apart while raising the arms, then jump back.",
        {},
        (
            Diff("arm height", "the arms are raised higher overhead", "arms fully raised", "1",
                 "arm", 170, 100, "open"),
            Diff("leg spread", "the feet land wider apart", "legs spread apart", "1",
                 "spread", 30, 14, "open"),
            Diff("jump height", "the jumps leave the ground higher", "feet off the ground", "1",
                 "jump", 16, 3, "air"),
            Diff("speed", "the jumping jacks are performed faster", "jumping in and out", "gt_1",
                 "period", 1.0, 2.0, "open"),
            Diff("landing", "the landings are softer", "landing", "1"),
        ),
        jacks_pose, _fitness_events(open=_every((0.5,)), air=_every((0.25, 0.75))),
    ),
    fitness_action(
        "fitness_4", "Lateral arm raise", "Raise both arms out to the sides, then lower them.",
        {},
        (
            Diff("arm height", "the arms are raised higher", "arms at the top of the raise", "1",
                 "arm", 100, 50, "top"),
            Diff("speed", "the raises are performed faster",
                 "raising and lowering the arms", "gt_1", "period", 1.25, 2.5, "top"),
            Diff("stance width", "the feet are placed wider apart", "feet on the floor", "1",
                 "stance", 20, 8),
            Diff("knee dip", "the knees bend more during each raise",
                 "arms at the top of the raise", "1", "dip", 12, 0, "top"),
            Diff("elbows", "the elbows are kept straighter", "arms at the top of the raise", "1"),
        ),
        raise_pose, _fitness_events(top=_every((0.5,))),
    ),
    fitness_action(
        "fitness_6", "Standing side bend", "Bend the torso to one side, then the other.",
        {},
        (
            Diff("bend depth", "the torso bends further to the side", "fully bent to the side", "1",
                 "lean", 34, 12, "bend"),
            Diff("speed", "the side bends are performed faster", "bending side to side", "gt_1",
                 "period", 1.5, 3.0, "bend"),
            Diff("arm height", "the arms are held higher", "arms", "1", "arm", 170, 60, "bend"),
            Diff("stance width", "the feet are placed wider apart", "feet on the floor", "1",
                 "stance", 20, 8),
            Diff("hips", "the hips stay more still", "fully bent to the side", "gt_1"),
        ),
        bend_pose, _fitness_events(bend=_every((0.25, 0.75))),
    ),
    fitness_action(
        "fitness_1", "Jump squat", "Squat down, jump up explosively, land and stand.",
        {"cycle": 2.0},
        (
            Diff("jump height", "the jump is higher", "top of the jump", "1",
                 "jump", 20, 5, "apex"),
            Diff("squat depth", "the squat before the jump is deeper", "bottom of the squat", "1",
                 "depth", 22, 7, "bottom"),
            Diff("arm swing", "the arms swing higher during the jump", "top of the jump", "1",
                 "arm", 170, 60, "apex"),
            Diff("stance width", "the feet are placed wider apart", "feet on the floor", "1",
                 "stance", 20, 8),
            Diff("knee valgus", "the knees cave inwards on landing", "landing", "1"),
            Diff("landing", "the landing is softer", "landing", "gt_1"),
        ),
        jump_squat_pose,
        _fitness_events(apex=_every((0.3,), "cycle"), bottom=_every((0.1,), "cycle")),
    ),
    fitness_action(
        "fitness_2", "High knees", "Run in place, lifting the knees one after the other.",
        {},
        (
            Diff("knee height", "the knees are lifted higher", "knee at its highest", "1",
                 "knee", 90, 45, "knee_up"),
            Diff("speed", "the steps are faster", "stepping", "gt_1",
                 "period", 1.0, 2.0, "knee_up"),
            Diff("arm swing", "the arms swing higher", "knee at its highest", "1",
                 "arm", 110, 30, "knee_up"),
            Diff("stance width", "the standing foot is placed further from the body's midline",
                 "feet", "1", "stance", 16, 6, "knee_up"),
            Diff("posture", "the torso leans back more", "knee at its highest", "1"),
        ),
        high_knees_pose, _fitness_events(knee_up=_every((0.25, 0.75))),
    ),
]


# ---------------------------------------------------------------------------------------------
# Ball sports: the stick figure on a court, plus a ball.

BALL = (235, 120, 30)


def _court(d: ImageDraw.ImageDraw) -> None:
    d.rectangle([0, 0, W, H], fill=(64, 74, 96))
    d.rectangle([0, GROUND + 2, W, H], fill=(150, 108, 66))


def _ball(d: ImageDraw.ImageDraw, x: float, y: float, r: float = 5) -> None:
    d.ellipse([x - r, y - r, x + r, y + r], fill=BALL)


def draw_dribble(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _court(d)
    x = 80 + p["offset"]
    top = GROUND - 5 - p["height"]
    y = GROUND - 5 - p["height"] * abs(math.cos(math.pi * t / p["period"]))
    draw_figure(d, Pose(squat=p["crouch"], stance=12, hand_r=(x, top - 5)))
    _ball(d, x, y)


HOOP = (140.0, 40.0)


def _shot(p: Params) -> tuple[tuple[float, float], float]:
    """Release point (chest height at the top of the jump), and when the ball peaks (0..1)."""
    legs_h = math.sqrt((THIGH + SHIN) ** 2 - (p["stance"] - 4) ** 2)
    chest_y = GROUND - p["jump"] - legs_h - TORSO + 6
    release = (p["x"] + 6, chest_y)
    # parabola through the release point, the apex height p["top"] and the rim
    u_top = 1 / (1 + math.sqrt((HOOP[1] - p["top"]) / (chest_y - p["top"])))
    return release, u_top


def draw_jump_shot(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _court(d)
    d.rectangle([150, 22, 153, 46], fill=(230, 230, 230))  # backboard
    d.line([(133, HOOP[1] + 2), (150, HOOP[1] + 2)], fill=(220, 40, 30), width=2)  # rim
    air = math.sin(math.pi * (t - 0.8) / 0.8) if 0.8 <= t < 1.6 else 0.0
    release, u_top = _shot(p)
    pose = Pose(cx=p["x"], lift=p["jump"] * air, stance=p["stance"], arm_l=25)
    if t < 1.2:  # ball held at the chest, rising with the jump
        ball = (release[0], release[1] + p["jump"] * (1 - air))
        pose = replace(pose, hand_r=ball)
    elif t < 2.2:  # in flight: y = top + c (u - u_top)^2
        u = t - 1.2
        c = (release[1] - p["top"]) / u_top**2
        ball = (release[0] + (HOOP[0] - release[0]) * u, p["top"] + c * (u - u_top) ** 2)
        pose = replace(pose, arm_r=150)  # follow-through
    else:  # through the hoop and down
        ball = (HOOP[0], min(GROUND - 5.0, HOOP[1] + 160 * (t - 2.2)))
    draw_figure(d, pose)
    _ball(d, *ball)


def draw_kick(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _court(d)
    kick = p["swing"] * math.sin(math.pi * (t - 0.7) / 0.6) if 0.7 <= t < 1.3 else 0.0
    arms = 15 + (p["arms"] - 15) * (math.sin(math.pi * (t - 0.6) / 0.8) if 0.6 <= t < 1.4 else 0)
    draw_figure(d, Pose(cx=36, stance=8, kick=max(0.0, kick), arm_l=arms, arm_r=arms))
    x0 = 36 + 4 + 8
    u = min(1.0, max(0.0, (t - 1.0) / 1.2))
    _ball(d, x0 + p["dist"] * u, GROUND - 5 - 4 * p["apex"] * u * (1 - u))


BALLSPORTS = [
    Action(
        "ballsports_0", "Basketball dribble", "Dribble a basketball in place with one hand.",
        "ballsports",
        {},
        (
            Diff("dribble height", "the ball is dribbled higher", "ball at the hand", "1",
                 "height", 44, 20, "top"),
            Diff("speed", "the dribbling is faster", "ball bouncing", "gt_1",
                 "period", 0.7, 1.4, "floor"),
            Diff("ball distance", "the ball is dribbled further from the body",
                 "ball hitting the floor", "1", "offset", 34, 16, "floor"),
            Diff("crouch", "the player crouches lower", "player's stance", "1", "crouch", 16, 2),
            Diff("eyes", "the player looks up, away from the ball", "player's head", "1"),
        ),
        draw_dribble,
        lambda p: {"start": [0.0], "top": _times(0, p["period"], 4.0),
                   "floor": _times(p["period"] / 2, p["period"], 4.0)},
    ),
    Action(
        "ballsports_1", "Basketball jump shot", "Jump and shoot the ball at the basket.",
        "ballsports",
        {},
        (
            Diff("jump height", "the player jumps higher before releasing the ball",
                 "ball release", "1", "jump", 16, 3, "release"),
            Diff("arc", "the ball travels in a higher arc", "ball in flight", "1",
                 "top", 6, 28, "ball_apex"),
            Diff("distance", "the shot is taken from further away from the basket",
                 "player's position", "1", "x", 32, 70),
            Diff("stance width", "the feet are placed wider apart", "feet before the jump", "1",
                 "stance", 18, 7),
            Diff("follow-through", "the follow-through is held longer",
                 "after the release", "gt_1"),
        ),
        draw_jump_shot,
        lambda p: {"start": [0.0], "release": [1.2], "ball_apex": [1.2 + _shot(p)[1]]},
    ),
    Action(
        "ballsports_2", "Soccer kick", "Kick a ball resting on the ground.", "ballsports",
        {},
        (
            Diff("ball height", "the ball is kicked higher", "ball in flight", "1",
                 "apex", 60, 15, "ball_apex"),
            Diff("ball distance", "the ball travels further", "ball landing", "1",
                 "dist", 95, 45, "land"),
            Diff("leg swing", "the kicking leg swings higher", "contact with the ball", "1",
                 "swing", 80, 30, "contact"),
            Diff("arms", "the arms are held out wider for balance", "contact with the ball", "1",
                 "arms", 95, 20, "contact"),
            Diff("plant foot", "the plant foot is closer to the ball",
                 "contact with the ball", "1"),
        ),
        draw_kick,
        lambda p: {"start": [0.0], "contact": [1.0], "ball_apex": [1.6], "land": [2.2, 2.5]},
    ),
]


# ---------------------------------------------------------------------------------------------
# Diving: side view of a platform dive.

PLATFORM_Y, WATER_Y, TAKEOFF, FLIGHT = 55, 105, 0.4, 1.4


def _dive_path(u: float, p: Params) -> tuple[float, float]:
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
        c = _dive_path(u, p)
        up = _rot((0, -1), -360 * p["rot"] * u)  # forward somersaults, head first at entry
        head, feet = _add(c, up, 11), _add(c, up, -13)
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


DIVING = [
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


# ---------------------------------------------------------------------------------------------
# Music: piano and guitar, seen from the front. Motion periods are not divisors of 1 s, so
# 1 fps sampling still sees different phases.

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
    head = _add(body, direction, 84)
    d.line([body, head], fill=(90, 55, 25), width=6)
    for f in (0.3, 0.45, 0.6, 0.75, 0.9):
        fret = _add(body, direction, 84 * f)
        across = (direction[1], -direction[0])
        d.line([_add(fret, across, 3), _add(fret, across, -3)], fill=(200, 200, 200))
    d.ellipse([body[0] - 22, body[1] - 16, body[0] + 22, body[1] + 16], fill=(170, 100, 40))
    d.ellipse([body[0] - 5, body[1] - 5, body[0] + 5, body[1] + 5], fill=(40, 25, 10))
    fret_hand = _add(body, direction, 84 * p["fret"])
    d.line([(58, 40), fret_hand], fill=(40, 100, 60), width=5)
    d.ellipse([fret_hand[0] - 5, fret_hand[1] - 5, fret_hand[0] + 5, fret_hand[1] + 5], fill=SKIN)
    strum = (body[0] + 4, body[1] - 2 + p["strum"] * math.sin(2 * math.pi * t / 1.6))
    d.line([(104, 40), strum], fill=(40, 100, 60), width=5)
    d.ellipse([strum[0] - 5, strum[1] - 5, strum[0] + 5, strum[1] + 5], fill=SKIN)


MUSIC = [
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


# ---------------------------------------------------------------------------------------------
# Surgery: a suturing pad seen from above, with two instruments coming in from the top corners.

WOUND_Y = 65
STEEL = (185, 185, 195)


def _pad(d: ImageDraw.ImageDraw) -> None:
    d.rectangle([0, 0, W, H], fill=(40, 90, 80))
    d.rectangle([18, 28, 142, 104], fill=(232, 164, 160))
    d.line([(34, WOUND_Y), (126, WOUND_Y)], fill=(150, 40, 50), width=2)


def _instrument(d: ImageDraw.ImageDraw, tip: tuple[float, float], side: int) -> None:
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


SURGERY = [
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

ACTIONS = {a.action: a for a in FITNESS + BALLSPORTS + DIVING + MUSIC + SURGERY}


# ---------------------------------------------------------------------------------------------
# The samples. Roles, one character per difference key of the action:
#   x  labelled a or b (which one is drawn at random); the videos differ in that parameter
#   c  labelled c: both videos use the same value
#   .  annotated but not labelled (gt null); values drawn independently per video
#   -  neither annotated nor labelled (both null); values drawn independently per video
# Options: "hi_fps" renders video b at twice the fps and trims it with step 2;
#          "untrimmed" gives both videos frames_trim [None, None, None].

SAMPLES: list[tuple[str, str, tuple[str, ...]]] = [
    ("fitness_0", "xxxx.-", ()),
    ("fitness_0", "xcxx-.", ("untrimmed",)),
    ("fitness_3", "xxxc.", ()),
    ("fitness_4", "xxcx-", ()),
    ("fitness_6", "xxxx.", ()),
    ("fitness_1", "xxxc.-", ()),
    ("fitness_2", "xxx.-", ()),
    ("ballsports_0", "xxxc-", ()),
    ("ballsports_0", "xcxx.", ("hi_fps",)),
    ("ballsports_1", "xxxx-", ()),
    ("ballsports_2", "xxcx.", ()),
    ("diving_0", "xxxx.-", ()),
    ("diving_0", "xxcx-.", ()),
    ("music_0", "xxxcx-", ()),
    ("music_1", "xxx.-", ()),
    ("surgery_0", "xxxx.-", ()),
    ("surgery_1", "xxc.-", ()),
    ("surgery_2", "xxx.-", ()),
]


@dataclass
class Video:
    frames: list[Image.Image]
    fps: float
    trim: tuple[int | None, int | None, int | None]
    retrieval: dict[str, list[int] | None]


def render(action: Action, p: Params, fps: float, step: int, pad: tuple[int, int],
           retrieval_keys: dict[str, str | None]) -> Video:
    """Render the clip plus `pad` idle frames before and after, which frames_trim cuts off."""
    seconds = SECONDS[action.domain]
    n = round(seconds * fps)

    def frame(t: float) -> Image.Image:
        img = Image.new("RGB", (W, H))
        action.draw(ImageDraw.Draw(img), t, p)
        return img

    clip = [frame(i / fps) for i in range(n)]
    frames = [clip[0]] * pad[0] + clip + [clip[-1]] * pad[1]
    trim = (None, None, None) if pad == (0, 0) and step == 1 else (pad[0], pad[0] + n, step)
    events = action.events(p)
    retrieval: dict[str, list[int] | None] = {}
    for key, event in retrieval_keys.items():
        if event is None:
            retrieval[key] = None
            continue
        last = n - 1 - (n - 1) % step
        indices = {min(last, step * round(t * fps / step)) for t in events[event]}
        retrieval[key] = sorted(indices)[:4]
    return Video(frames, fps, trim, retrieval)


def _params(action: Action, roles: str, labels: list[Label | None],
            rng: np.random.Generator) -> tuple[Params, Params]:
    """The parameters of videos a and b."""
    p_a: Params = dict(action.base)
    p_b: Params = dict(action.base)
    for diff, role, label in zip(action.diffs, roles, labels):
        if diff.param is None:
            assert role in ".-", f"{action.action}: {diff.name} is not rendered, cannot be labelled"
            continue
        # Only the two endpoint values are used, so counts stay whole and dives end head first.
        ends = (diff.less, diff.more)
        if role == "x":
            p_a[diff.param], p_b[diff.param] = ends[::-1] if label == "a" else ends
        elif role == "c":
            p_a[diff.param] = p_b[diff.param] = ends[int(rng.integers(2))]
        else:
            p_a[diff.param], p_b[diff.param] = (ends[int(rng.integers(2))] for _ in range(2))
    return p_a, p_b


def _balanced_labels(rng: np.random.Generator) -> list[list[Label | None]]:
    """a/b for every 'x' role, half a and half b over the whole benchmark, shuffled."""
    n_x = sum(roles.count("x") for _, roles, _ in SAMPLES)
    ab: list[Label] = (["a", "b"] * n_x)[:n_x]
    rng.shuffle(ab)
    it = iter(ab)
    out = []
    for _, roles, _ in SAMPLES:
        out.append([next(it) if r == "x" else "c" if r == "c" else None for r in roles])
    return out


def _jpeg(img: Image.Image, quality: int = 80) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def write_frames(folder: Path, frames: list[Image.Image]) -> None:
    folder.mkdir(parents=True)
    for i, img in enumerate(frames):
        (folder / f"{i:06d}.jpg").write_bytes(_jpeg(img))


def write_mp4(path: Path, frames: list[Image.Image], fps: float) -> None:
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    x264 = "libx264" in av.codecs_available
    with av.open(str(path), "w", format="mp4") as out:
        rate = Fraction(fps).limit_denominator(1001)
        stream = out.add_stream("libx264" if x264 else "mpeg4", rate=rate)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        # One thread: multi-threaded encoder output is not byte-reproducible. g=30: several
        # keyframes per clip, so readers' seeking gets exercised.
        quality = {"crf": "26", "preset": "medium"} if x264 else {"qscale": "4"}
        stream.options = {**quality, "threads": "1", "g": "30"}
        for img in frames:
            frame = av.VideoFrame.from_ndarray(np.asarray(img), format="rgb24")
            frame = frame.reformat(format="yuv420p")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _sample_hash(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1  # int64 > 0


def build_sample(i: int, action: Action, roles: str, labels: list[Label | None],
                 options: tuple[str, ...], rng: np.random.Generator, out: Path) -> Sample:
    assert len(roles) == len(action.diffs), f"{action.action}: roles {roles!r}"
    key = f"mini_{i:02d}"
    params = _params(action, roles, labels, rng)
    retrieval_keys = {str(k): (d.event if label in ("a", "b", "c") else None)
                      for k, (d, label) in enumerate(zip(action.diffs, labels))}
    videos, refs = [], []
    for v, p in zip("ab", params):
        step = 2 if v == "b" and "hi_fps" in options else 1
        fps = FPS[action.domain] * step
        max_pad = int(fps // 2)
        pad = (0, 0) if "untrimmed" in options else (
            int(rng.integers(0, max_pad)), int(rng.integers(0, max_pad)))
        video = render(action, p, fps, step, pad, retrieval_keys)
        rel = f"videos/{action.domain}/{key}_{v}"
        if action.domain == "fitness":
            write_frames(out / rel, video.frames)
        else:
            rel += ".mp4"
            write_mp4(out / rel, video.frames, fps)
        videos.append(video)
        refs.append(VideoRef(path=rel, fps_original=fps, frames_trim=video.trim))

    annotated: dict[str, Difference | None] = {}
    gt: dict[str, Label | None] = {}
    for k, (d, role, label) in enumerate(zip(action.diffs, roles, labels)):
        annotated[str(k)] = None if role == "-" else Difference(
            str(k), d.name, d.description, d.query, d.num_frames)
        gt[str(k)] = label
    n_labelled = sum(label is not None for label in labels)

    def thumbnail(video: Video) -> bytes:
        first = video.frames[video.trim[0] or 0]
        return _jpeg(first.resize((W // 2, H // 2), Image.Resampling.BILINEAR), quality=85)

    split = split_of_action(action.action)
    assert split is not None, action.action
    return Sample(
        sample_key=key,
        videos=(refs[0], refs[1]),
        action=action.action,
        action_name=action.name,
        action_description=action.description,
        source_dataset="vdbench-mini (synthetic)",
        sample_hash=_sample_hash(key),
        domain=action.domain,
        split=split,
        n_differences_open_prediction=math.ceil(1.5 * n_labelled),
        differences_annotated=annotated,
        differences_gt=gt,
        retrieval_frames=(videos[0].retrieval, videos[1].retrieval),
        thumbnails=(thumbnail(videos[0]), thumbnail(videos[1])),
    )


# The hub's parquet schema; the "huggingface" metadata lets `datasets` decode the thumbnails.
_STR = pa.string()
SCHEMA = pa.schema([
    ("sample_key", _STR),
    ("vid0_thumbnail", pa.struct([("bytes", pa.binary()), ("path", _STR)])),
    ("vid1_thumbnail", pa.struct([("bytes", pa.binary()), ("path", _STR)])),
    ("videos", _STR), ("action", _STR), ("action_name", _STR), ("action_description", _STR),
    ("source_dataset", _STR), ("sample_hash", pa.int64()), ("retrieval_frames", _STR),
    ("differences_annotated", _STR), ("differences_gt", _STR), ("domain", _STR), ("split", _STR),
    ("n_differences_open_prediction", pa.int64()),
])
_HF_FEATURES = {
    f.name: {"_type": "Image"} if f.name.endswith("thumbnail")
    else {"dtype": "int64" if f.type == pa.int64() else "string", "_type": "Value"}
    for f in SCHEMA
}
SCHEMA = SCHEMA.with_metadata({"huggingface": json.dumps({"info": {"features": _HF_FEATURES}})})


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "src/vdbench/data/mini")
    args = ap.parse_args(argv)
    out: Path = args.out
    for sub in ("data", "videos"):
        shutil.rmtree(out / sub, ignore_errors=True)
    (out / "data").mkdir(parents=True)

    rng = np.random.default_rng(SEED)
    labels = _balanced_labels(rng)
    rows = []
    for i, ((action_id, roles, options), sample_labels) in enumerate(zip(SAMPLES, labels)):
        sample = build_sample(i, ACTIONS[action_id], roles, sample_labels, options, rng, out)
        rows.append(sample_to_row(sample))
        counts = {x: sample_labels.count(x) for x in ("a", "b", "c")}
        print(f"{sample.sample_key}  {sample.domain:10s} {sample.split:6s} "
              f"{sample.action:12s} {counts}")
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    pq.write_table(table, out / "data/test-00000-of-00001.parquet", compression="zstd")
    (out / "README.md").write_text(
        "# vdbench mini benchmark\n\n"
        "Synthetic, rendered by `scripts/make_mini.py` (do not edit by hand; rerun it).\n"
        "Hub layout: `data/test-00000-of-00001.parquet`, videos under `videos/`, paths relative\n"
        "to this folder. Every difference is a rendered motion parameter, so each a/b label is\n"
        "true of the pixels. retrieval_frames index the trimmed clip at fps_original.\n\n"
        + "".join(f"- {r['sample_key']}: {r['action']} ({r['domain']}, {r['split']})\n"
                  for r in rows)
    )
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"{len(rows)} samples, {size / 1e6:.2f} MB in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
