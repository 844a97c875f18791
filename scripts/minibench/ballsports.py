"""Ball sports: the stick figure on a court, plus a ball."""

from __future__ import annotations

import math
from dataclasses import replace

from PIL import ImageDraw

from .figures import GROUND, TORSO, Point, Pose, backdrop, draw_figure, leg_height
from .spec import Action, Diff, Params, times

BALL = (235, 120, 30)
HOOP = (140.0, 40.0)


def _court(d: ImageDraw.ImageDraw) -> None:
    backdrop(d, wall=(64, 74, 96), floor=(150, 108, 66))


def _ball(d: ImageDraw.ImageDraw, x: float, y: float, r: float = 5) -> None:
    d.ellipse([x - r, y - r, x + r, y + r], fill=BALL)


def draw_dribble(d: ImageDraw.ImageDraw, t: float, p: Params) -> None:
    _court(d)
    x = 80 + p["offset"]
    top = GROUND - 5 - p["height"]
    y = GROUND - 5 - p["height"] * abs(math.cos(math.pi * t / p["period"]))
    draw_figure(d, Pose(squat=p["crouch"], stance=12, hand_r=(x, top - 5)))
    _ball(d, x, y)


def _shot(p: Params) -> tuple[Point, float]:
    """Release point (chest height at the top of the jump), and when the ball peaks (0..1)."""
    chest_y = GROUND - p["jump"] - leg_height(p["stance"]) - TORSO + 6
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


ACTIONS = [
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
        lambda p: {"start": [0.0], "top": times(0, p["period"], 4.0),
                   "floor": times(p["period"] / 2, p["period"], 4.0)},
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
