"""Fitness: the stick figure exercising in a gym, repetition after repetition."""

from __future__ import annotations

import math
from collections.abc import Callable

from PIL import ImageDraw

from .figures import Pose, backdrop, draw_figure
from .spec import SECONDS, Action, Diff, Events, Params, times

Poser = Callable[[float, Params], Pose]  # (time, params) -> the figure's pose


def exercise(action: str, name: str, description: str, base: Params, diffs: tuple[Diff, ...],
             pose: Poser, events: Callable[[Params], Events]) -> Action:
    """A fitness action: the figure in `pose(t, params)` in front of the gym wall."""
    def draw(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
        backdrop(d, wall=(38, 44, 62), floor=(70, 58, 46))
        draw_figure(d, pose(t, p))

    return Action(action, name, description, "fitness", base, diffs, draw, events)


def _cycle(t: float, period: float) -> float:
    """0 at the start of each repetition, 1 halfway through."""
    return 0.5 - 0.5 * math.cos(2 * math.pi * t / period)


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
    """Times at the given fractions of each repetition (its length is the parameter `key`)."""
    def at(p: Params) -> list[float]:
        return sorted(t for o in offsets for t in times(o * p[key], p[key], SECONDS["fitness"]))
    return at


def _events(**named: Callable[[Params], list[float]]) -> Callable[[Params], Events]:
    return lambda p: {"start": [0.0], **{k: f(p) for k, f in named.items()}}


ACTIONS = [
    exercise(
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
        squat_pose, _events(bottom=_every((0.5,))),
    ),
    exercise(
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
        jacks_pose, _events(open=_every((0.5,)), air=_every((0.25, 0.75))),
    ),
    exercise(
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
        raise_pose, _events(top=_every((0.5,))),
    ),
    exercise(
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
        bend_pose, _events(bend=_every((0.25, 0.75))),
    ),
    exercise(
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
        _events(apex=_every((0.3,), "cycle"), bottom=_every((0.1,), "cycle")),
    ),
    exercise(
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
        high_knees_pose, _events(knee_up=_every((0.25, 0.75))),
    ),
]
