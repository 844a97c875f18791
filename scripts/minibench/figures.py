"""2-D helpers and the stick figure shared by fitness and ball sports (front view, image y grows
downwards)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import ImageDraw

from .spec import H, W

Point = tuple[float, float]

GROUND = 114
THIGH = SHIN = 21
TORSO, HEAD_R, ARM = 26, 7, 22
FIGURE = (235, 235, 235)


def rot(v: Point, deg: float) -> Point:
    """v rotated by `deg` degrees, counter-clockwise on screen."""
    a = math.radians(deg)
    return (v[0] * math.cos(a) + v[1] * math.sin(a), -v[0] * math.sin(a) + v[1] * math.cos(a))


def add(p: Point, v: Point, k: float = 1.0) -> Point:
    """p + k v."""
    return (p[0] + k * v[0], p[1] + k * v[1])


def backdrop(d: ImageDraw.ImageDraw, wall: tuple[int, int, int],
             floor: tuple[int, int, int]) -> None:
    """A wall, and the floor the figure stands on."""
    d.rectangle([0, 0, W, H], fill=wall)
    d.rectangle([0, GROUND + 2, W, H], fill=floor)


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
    hand_r: Point | None = None  # right hand pinned to a point (holds a ball)


def leg_height(stance: float) -> float:
    """Hip height above the feet of a standing figure with straight legs."""
    return math.sqrt((THIGH + SHIN) ** 2 - max(0.0, stance - 4) ** 2)


def _knee(hip: Point, foot: Point, out: float) -> Point:
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
    hip_c = (p.cx, foot_y - leg_height(p.stance) + p.squat)
    for side, knee_deg in ((-1, p.knee_l), (1, p.knee_r)):
        hip = (p.cx + 4 * side, hip_c[1])
        if side == 1 and p.kick > 0:
            kick = math.radians(p.kick)
            foot = add(hip, (math.sin(kick), math.cos(kick)), THIGH + SHIN)
            knee = ((hip[0] + foot[0]) / 2, (hip[1] + foot[1]) / 2)
        elif knee_deg > 0:  # thigh comes towards the camera: it looks shorter, the shin hangs
            knee = (hip[0] + 2 * side, hip[1] + THIGH * math.cos(math.radians(knee_deg)))
            foot = (knee[0], knee[1] + SHIN)
        else:
            foot = (p.cx + p.stance * side, foot_y)
            knee = _knee(hip, foot, side)
        d.line([hip, knee, foot], fill=color, width=3)
    up = rot((0, -1), p.lean)
    neck = add(hip_c, up, TORSO)
    d.line([hip_c, neck], fill=color, width=3)
    side_v = rot((1, 0), p.lean)
    for side, arm_deg in ((-1, p.arm_l), (1, p.arm_r)):
        shoulder = add(neck, side_v, 6 * side)
        if side == 1 and p.hand_r is not None:
            hand = p.hand_r
        else:
            a = math.radians(arm_deg)
            hand = add(shoulder, rot((side * math.sin(a), math.cos(a)), p.lean), ARM)
        d.line([shoulder, hand], fill=color, width=3)
    head = add(neck, up, HEAD_R + 2)
    d.ellipse([head[0] - HEAD_R, head[1] - HEAD_R, head[0] + HEAD_R, head[1] + HEAD_R], fill=color)
