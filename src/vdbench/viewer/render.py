"""view/index.html: one self-contained page (inline CSS and JS, thumbnails as data URIs, no
request leaves the file) that works opened from the file system.

Every text that comes from the data or from a model's output goes through `esc` (html.escape,
quotes included): model replies are untrusted. A Content-Security-Policy allows only this
page's own script (by its hash), inline styles and data: images, so even a slip in escaping
could not run a script or load anything from the network."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from html import escape
from typing import Any

from vdbench.core.results import HEADLINE, Block
from vdbench.scoring.judge.select import judge_heading, measured_text
from vdbench.viewer.load import RunRecord, SampleRecord
from vdbench.viewer.thumbs import Strip

RAW_SHOWN = 20_000  # characters of a model's raw reply shown per sample

CSS = """
:root { --ink: #1d2330; --muted: #667085; --line: #e4e7ec; --accent: #2f5bd3;
        --ok: #157f3b; --okbg: #e3f5e9; --bad: #b42318; --badbg: #fde8e6; --dim: #98a2b3;
        --gt: #13946b; --pred: #e07b00; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica,
       Arial, sans-serif; color: var(--ink); background: #f5f6f8; }
main { max-width: 1280px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h1 .mode { font-size: 14px; font-weight: 600; padding: 2px 8px; border-radius: 10px;
           background: #e8ecf6; color: var(--accent); vertical-align: middle; }
.sub { color: var(--muted); margin: 0 0 14px; overflow-wrap: anywhere; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px;
        min-width: 150px; }
.card .k { color: var(--muted); font-size: 12px; text-transform: uppercase;
           letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 650; }
.card .s { color: var(--muted); font-size: 12px; overflow-wrap: anywhere; }
.v.yes { color: var(--ok); } .v.no { color: var(--bad); }
details.more { margin: 0 0 12px; }
details.more > summary { cursor: pointer; color: var(--accent); }
.facts-wrap { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start;
              margin-top: 8px; }
table { border-collapse: collapse; background: #fff; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-top: 1px solid var(--line); text-align: left;
         vertical-align: top; }
th { background: #f2f4f7; font-size: 12px; }
table.facts { max-width: 760px; }
table.facts th { background: none; font-weight: 600; color: var(--muted); white-space: nowrap; }
table.facts td { overflow-wrap: anywhere; }
td.num, th.num { text-align: right; }
.caveat { background: #fff6e5; border: 1px solid #f5d49a; border-radius: 6px;
          padding: 8px 12px; color: #7a4b00; margin: 8px 0; }
.filters { position: sticky; top: 0; z-index: 5; display: flex; flex-wrap: wrap; gap: 8px 16px;
           align-items: center; background: #fff; border: 1px solid var(--line);
           border-radius: 8px; padding: 8px 12px; margin: 14px 0;
           box-shadow: 0 2px 6px rgba(16,24,40,.06); }
.filters label { font-size: 13px; color: var(--muted); }
.filters select { margin-left: 4px; font: inherit; color: var(--ink); max-width: 260px; }
.filters button { font: inherit; padding: 2px 10px; }
#f-count { margin-left: auto; font-weight: 600; }
section.sample { background: #fff; border: 1px solid var(--line); border-radius: 10px;
                 padding: 12px 16px; margin: 0 0 16px; }
.shead { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: baseline; }
.shead h2 { font-size: 18px; margin: 0; }
.shead h2 a { color: inherit; text-decoration: none; }
.shead h2 .key { color: var(--muted); font-weight: 500; font-size: 14px; }
.chip { font-size: 12px; padding: 1px 8px; border-radius: 9px; background: #eef1f6;
        color: #344054; }
.verdict { font-size: 12px; font-weight: 650; padding: 1px 8px; border-radius: 9px; }
.verdict.correct { background: var(--okbg); color: var(--ok); }
.verdict.wrong { background: var(--badbg); color: var(--bad); }
.verdict.none { background: #eef1f6; color: var(--muted); }
.status { font-size: 12px; color: var(--muted); }
.status.bad { color: var(--bad); font-weight: 650; }
.adesc { margin: 4px 0 8px; color: #344054; overflow-wrap: anywhere; }
.err { background: var(--badbg); color: var(--bad); border-radius: 6px; padding: 6px 10px;
       overflow-wrap: anywhere; }
.video { margin: 6px 0 10px; }
.vhead { font-size: 13px; margin-bottom: 2px; overflow-wrap: anywhere; }
.vhead .meta { color: var(--muted); }
.strip { display: flex; gap: 3px; overflow-x: auto; padding-bottom: 2px; }
.strip figure { margin: 0; flex: none; }
.strip img { display: block; border-radius: 3px; background: #ddd; }
.strip figcaption { font-size: 11px; color: var(--muted); text-align: center;
                    font-variant-numeric: tabular-nums; }
.noframes { color: var(--muted); font-style: italic; overflow-wrap: anywhere; }
.timeline { position: relative; height: 30px; margin: 4px 0 0; max-width: 1200px; }
.timeline .axis { position: absolute; left: 0; right: 0; top: 9px; height: 2px;
                  background: #d0d5dd; }
.timeline .tk { position: absolute; top: 5px; width: 1px; height: 10px; background: #98a2b3; }
.timeline .mk { position: absolute; transform: translateX(-50%); font-size: 10px;
                line-height: 12px; padding: 0 3px; border-radius: 3px; color: #fff;
                white-space: nowrap; }
.timeline .mk.gt { top: 16px; background: var(--gt); }
.timeline .mk.pred { top: -4px; background: var(--pred); }
.timeline .end { position: absolute; top: 16px; font-size: 10px; color: var(--muted); }
.legend { font-size: 11px; color: var(--muted); margin: 0 0 8px; }
.legend .gt { color: var(--gt); font-weight: 700; } .legend .pred { color: var(--pred);
  font-weight: 700; }
h3 { font-size: 14px; margin: 12px 0 4px; }
table.diffs, table.preds { width: 100%; }
table.diffs td.desc, table.preds td.desc { overflow-wrap: anywhere; min-width: 14em; }
td.desc small, td small { display: block; color: var(--muted); font-size: 12px; }
tr.unscored td { color: var(--dim); }
.lab { font-weight: 700; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
.res.correct { color: var(--ok); font-weight: 650; }
.res.wrong { color: var(--bad); font-weight: 650; }
.res.none { color: var(--muted); }
td.res { white-space: nowrap; }
.flip { color: var(--pred); font-weight: 650; }
details.raw summary { cursor: pointer; color: var(--accent); font-size: 13px; }
details.raw pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f8f9fb;
                  border: 1px solid var(--line); border-radius: 6px; padding: 8px;
                  max-height: 360px; overflow: auto; font-size: 12px; }
ul.notes { margin: 4px 0; padding-left: 20px; color: #344054; }
#f-none { color: var(--muted); font-style: italic; }
.twrap { overflow-x: auto; max-width: 100%; }
@media (max-width: 640px) {
  body { font-size: 14px; }
  th, td { padding: 3px 6px; }
  table.diffs td.desc, table.preds td.desc { min-width: 8em; }
  section.sample { padding: 10px; }
  /* markers as dots: their keys would overlap at this width (hover or tap shows them) */
  .timeline .mk { font-size: 0; width: 9px; height: 9px; padding: 0; border-radius: 50%; }
  .timeline .mk.pred { top: 0; }
  .timeline .mk.gt { top: 16px; }
}
"""

JS = """
(function () {
  "use strict";
  var samples = Array.prototype.slice.call(document.querySelectorAll("section.sample"));
  var selects = Array.prototype.slice.call(document.querySelectorAll("select.flt"));
  var count = document.getElementById("f-count");
  var none = document.getElementById("f-none");
  function apply() {
    var shown = 0;
    samples.forEach(function (s) {
      var ok = selects.every(function (sel) {
        return sel.value === "" || s.getAttribute("data-" + sel.name) === sel.value;
      });
      s.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + samples.length + " samples shown";
    none.hidden = shown > 0;
  }
  selects.forEach(function (sel) { sel.addEventListener("change", apply); });
  document.getElementById("f-reset").addEventListener("click", function () {
    selects.forEach(function (sel) { sel.value = ""; });
    apply();
  });
  apply();
})();
"""


def esc(value: Any) -> str:
    return escape(str(value), quote=True)


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else "—"


def _ci(ci: Any) -> str:
    if isinstance(ci, (list, tuple)) and len(ci) == 2 and all(
            isinstance(v, (int, float)) for v in ci):
        return f"[{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"
    return "—"


def _s(t: float) -> str:
    return f"{t:.2f} s"


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _readable(value: Any) -> str:
    """A small mapping as "key value · key value", numbers to what they mean."""
    if not isinstance(value, dict):
        return _compact(value) if not isinstance(value, str) else value

    def one(v: Any) -> str:
        if isinstance(v, bool) or v is None:
            return str(v).lower()
        if isinstance(v, float):
            return f"{v:.4g}"
        if isinstance(v, dict):
            return "(" + ", ".join(f"{k} {one(x)}" for k, x in v.items()) + ")"
        return v if isinstance(v, str) else _compact(v)

    return " · ".join(f"{k} {one(v)}" for k, v in value.items()) or "—"


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode()
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


# --- the summary ------------------------------------------------------------------------------


def _card(key: str, value: str, sub: str = "", cls: str = "") -> str:
    return (f'<div class="card"><div class="k">{esc(key)}</div>'
            f'<div class="v {cls}">{value}</div><div class="s">{sub}</div></div>')


def render_summary(rec: RunRecord) -> str:
    r = rec.results
    prov = r.provenance
    metric = HEADLINE[r.mode]
    out = [f'<h1>{esc(r.model)} <span class="mode">{esc(r.mode)}</span></h1>',
           f'<p class="sub">run <code>{esc(rec.run.resolve().name)}</code> · dataset '
           f'{esc(prov.get("dataset", "?"))} @ {esc(prov.get("revision", "?"))} · split '
           f'{esc(r.split)} · {r.n_samples} pairs · created {esc(prov.get("created", "?"))}</p>']
    average = r.metrics.get("split_average")
    if len(r.by_split or {}) > 1 and isinstance(average, (int, float)):
        # the number the leaderboard ranks by: the average of the splits
        headline = _card(f"{metric}, average of splits", _pct(average),
                         f"all differences pooled {_pct(r.headline)}, 95% CI {_ci(r.ci95)}")
    else:
        headline = _card(metric, _pct(r.headline), f"95% CI {_ci(r.ci95)}")
    cards = [
        headline,
        _card("coverage", _pct(r.coverage),
              f"{r.n_scored} differences scored in {r.n_samples} pairs"),
    ]
    failed = (r.failures or {}).get("failed_samples", 0)
    allowed = (r.failures or {}).get("allowed", 0)
    cards.append(_card("complete", "yes" if r.complete else "no",
                       f"{esc(failed)} failed sample(s), {esc(allowed)} allowed",
                       "yes" if r.complete else "no"))
    if r.mode == "open":
        judge = r.judge or {}
        cards.append(_card("judge", esc(judge_heading(judge) or "?"),
                           esc(measured_text(judge.get("measured")) or "not measured")))
    out.append(f'<div class="cards">{"".join(cards)}</div>')
    for w in rec.warnings:
        out.append(f'<p class="caveat">{esc(w)}</p>')
    if not r.complete:
        first = (r.failures or {}).get("first_errors") or []
        errs = "".join(f"<li>{esc(e.get('sample_key'))}: {esc(e.get('status'))} "
                       f"{esc(e.get('error'))}</li>" for e in first if isinstance(e, dict))
        out.append('<div class="caveat">incomplete: more samples failed than --max-failures '
                   f'allows; this result is never ranked.<ul class="notes">{errs}</ul></div>')
    out.append('<details class="more" open><summary>details and scores by split</summary>'
               f'<div class="facts-wrap">{_facts(rec)}{_by_split(r.by_split or {}, metric)}</div>'
               '</details>')
    return "\n".join(out)


def _facts(rec: RunRecord) -> str:
    r = rec.results
    prov = r.provenance
    model = prov.get("model", r.model)
    rows: list[tuple[str, str]] = [("model", esc(_readable(model)))]
    rows.append(("selection", esc(_readable(prov.get("selection", {})))))
    rows.append(("seed", esc(prov.get("seed", "?"))))
    spec = rec.frame_spec.to_dict()
    spec.pop("target_fps", None)
    how = ("as recorded in the run" if rec.frame_spec_recorded
           else "not recorded (a model that used no frames, or a scored prediction file): "
                "its protocol's sampling is shown")
    rows.append(("frames", f"{esc(how)}<br><small>{esc(_readable(spec))}</small>"))
    rows.append(("sample status", esc(_readable(r.status_counts))))
    if r.cost_usd is not None:
        by_stage = {k: f"${v:.4f}" for k, v in (r.cost_by_stage or {}).items()}
        rows.append(("cost", f"${r.cost_usd:.4f}" + (
            f" ({esc(_readable(by_stage))})" if by_stage else "")))
    if r.requests:
        rows.append(("requests", esc(_readable(r.requests))))
    if r.localization:
        loc = r.localization
        mae = loc.get("mae_s")
        mae_text = f"{mae:.2f}" if isinstance(mae, (int, float)) else "—"
        rows.append(("localization", f"hit rate {_pct(loc.get('hit_rate'))} within "
                     f"{esc(loc.get('tolerance_s'))} s, mean error {mae_text} s over "
                     f"{esc(loc.get('n'))} (difference, video) pairs"))
    if r.swap:
        rows.append(("swap", esc(_readable(r.swap))))
    if r.prediction_format:
        rows.append(("prediction format", esc(r.prediction_format)))
    if r.missing_samples:
        rows.append(("missing samples", esc(", ".join(r.missing_samples))))
    if rec.predictions_source:
        rows.append(("predictions read from", esc(rec.predictions_source)))
    rows.append(("vdbench", esc(prov.get("vdbench_version", "?"))))
    body = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts"><tbody>{body}</tbody></table>'


def _by_split(by_split: dict[str, Block], metric: str) -> str:
    if not by_split:
        return ""
    order = ("easy", "medium", "hard")
    ranked = sorted(by_split.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                      else len(order), kv[0]))
    body = "".join(
        f'<tr><td>{esc(name)}</td><td class="num">{esc(b.get("n_samples", ""))}</td>'
        f'<td class="num">{esc(b.get("n_scored", ""))}</td>'
        f'<td class="num">{_pct(b.get(metric))}</td><td class="num">{_ci(b.get("ci95"))}</td></tr>'
        for name, b in ranked)
    return (f'<table class="bysplit"><thead><tr><th>split</th><th class="num">pairs</th>'
            f'<th class="num">scored</th><th class="num">{esc(metric)}</th>'
            f'<th class="num">95% CI</th></tr></thead><tbody>{body}</tbody></table>')


# --- the filters ------------------------------------------------------------------------------


def render_filters(samples: list[SampleRecord]) -> str:
    def options(pairs: Iterable[tuple[str, str]]) -> str:
        return "".join(f'<option value="{esc(v)}">{esc(label)}</option>'
                       for v, label in dict(pairs).items())

    splits = sorted({s.sample.split for s in samples},
                    key=lambda x: ("easy", "medium", "hard").index(x)
                    if x in ("easy", "medium", "hard") else 9)
    domains = sorted({s.sample.domain for s in samples})
    actions = sorted({(s.sample.action, f"{s.sample.action} · {s.sample.action_name}")
                      for s in samples})
    results = [("correct", "all correct"), ("wrong", "some wrong"), ("none", "nothing scored")]
    parts = [
        ("split", "Split", [(x, x) for x in splits]),
        ("domain", "Domain", [(x, x) for x in domains]),
        ("action", "Action", actions),
        ("result", "Result", results),
    ]
    selects = "".join(
        f'<label>{label}<select class="flt" name="{name}" id="f-{name}">'
        f'<option value="">all</option>{options(opts)}</select></label>'
        for name, label, opts in parts)
    return (f'<div class="filters" id="filters">{selects}'
            '<button type="button" id="f-reset">reset</button>'
            f'<span id="f-count" aria-live="polite">{len(samples)} of {len(samples)} samples '
            'shown</span></div><p id="f-none" hidden>No sample matches the filters.</p>')


# --- one sample -------------------------------------------------------------------------------


def _times(frames: list[int] | None, fps: float) -> list[float]:
    return [i / fps for i in frames or []]


def _times_text(times: list[float]) -> str:
    return ", ".join(f"{t:.2f}" for t in times) + " s" if times else "—"


def _strip_html(strip: Strip, label: str) -> str:
    figs = "".join(
        f'<figure><img src="data:image/jpeg;base64,{base64.b64encode(t.jpeg).decode()}" '
        f'width="{t.width}" height="{t.height}" alt="video {label} at {t.time_s:.2f} s" '
        f'title="frame {t.index}, {t.time_s:.2f} s"><figcaption>{_s(t.time_s)}</figcaption>'
        '</figure>'
        for t in strip.thumbs)
    return f'<div class="strip">{figs}</div>'


def _timeline(strip: Strip | None, markers: list[tuple[str, float, str]]) -> str:
    """A time axis from the trim start: a tick per frame the model saw, annotated retrieval
    frames below (gt) and the model's keyframes above (pred). markers: (kind, time, key)."""
    times = list(strip.times_s) if strip else []
    end = max(times + [t for _, t, _ in markers] + [0.0])
    if end <= 0:
        return ""
    grouped: dict[tuple[str, float], list[str]] = {}
    for kind, t, key in markers:
        grouped.setdefault((kind, round(t, 2)), []).append(key)
    parts = ['<div class="axis"></div>']
    parts += [f'<span class="tk" style="left:{100 * t / end:.2f}%"></span>' for t in times]
    what = {"gt": "annotated retrieval frame", "pred": "the model's keyframe"}
    for (kind, t), keys in sorted(grouped.items()):
        names = ",".join(dict.fromkeys(keys))
        parts.append(f'<span class="mk {kind}" style="left:{100 * t / end:.2f}%" '
                     f'title="{esc(what[kind])} of {esc(names)} at {t:.2f} s">{esc(names)}</span>')
    parts.append(f'<span class="end" style="right:0">{_s(end)}</span>')
    return f'<div class="timeline">{"".join(parts)}</div>'


def _video(rec: SampleRecord, i: int, strip: Strip | None, frame_error: str | None,
           mode: str) -> str:
    label = "ab"[i]
    ref = rec.sample.videos[i]
    if strip is not None:
        shown = len(strip.thumbs)
        count = (f"all {shown} frames shown" if shown == strip.n_frames
                 else f"{shown} of {strip.n_frames} frames shown")
        meta = f"{count} · sampled at {strip.fps:.3g} fps"
        body = _strip_html(strip, label)
    else:
        meta = "no frames"
        body = f'<p class="noframes">frames unavailable: {esc(frame_error or "?")}</p>'
    markers: list[tuple[str, float, str]] = []
    for key, frames in rec.sample.retrieval_frames[i].items():
        if rec.sample.differences_annotated.get(key) is not None and frames:
            markers += [("gt", t, key) for t in _times(frames, ref.fps_original)]
    prefix = "p" if mode == "open" else ""
    for key, pred in rec.predictions.items():
        if pred.frames and pred.frames.get(label):
            markers += [("pred", t, prefix + key)
                        for t in _times(pred.frames[label], ref.fps_original)]
    legend = ('<p class="legend">time from the trim start: ticks are the frames the model was '
              'shown; <span class="gt">below</span>: annotated retrieval frames (difference key)'
              + ('; <span class="pred">above</span>: the model\'s keyframes' if any(
                  k == "pred" for k, _, _ in markers) else "") + "</p>")
    timeline = _timeline(strip, markers)
    return (f'<div class="video" data-video="{label}"><div class="vhead"><b>Video {label}</b> '
            f'<span class="meta">{esc(meta)} · {esc(ref.path)}</span></div>{body}'
            f'{timeline}{legend if timeline else ""}</div>')


def _gt_cell(label: str | None) -> str:
    shown = "null" if label is None else label
    return f'<td class="lab">{esc(shown)}</td>'


def _result_cell(row: dict[str, Any] | None, scored: bool, mode: str = "closed") -> str:
    if not scored:
        return '<td class="res none">not scored</td>'
    if row is None:
        return '<td class="res none">no row</td>'
    if row.get("correct") is True:
        return '<td class="res correct">✓ correct</td>'
    if mode == "open" and row.get("pred_key") is None:
        return '<td class="res wrong">✗ no match</td>'
    if row.get("prediction") is None:
        return '<td class="res wrong">✗ no answer</td>'
    return '<td class="res wrong">✗ wrong</td>'


def _frames_cell(rec: SampleRecord, gt_key: str, pred_key: str | None) -> str:
    pred = rec.predictions.get(pred_key) if pred_key is not None else None
    lines = []
    for i, label in enumerate("ab"):
        fps = rec.sample.videos[i].fps_original
        annotated = _times(rec.sample.retrieval_frames[i].get(gt_key), fps)
        predicted = _times((pred.frames or {}).get(label) if pred else None, fps)
        if annotated or predicted:
            lines.append(f"{label}: model {esc(_times_text(predicted))} · annotated "
                         f"{esc(_times_text(annotated))}")
    return f'<td><small>{"<br>".join(lines) or "—"}</small></td>'


def _keyframes(rec: SampleRecord, frames: dict[str, list[int]] | None) -> str:
    lines = [f"{label}: {esc(_times_text(_times(frames[label], video.fps_original)))}"
             for label, video in zip("ab", rec.sample.videos) if frames and frames.get(label)]
    return "<br>".join(lines) or "—"


def _difference_text(rec: SampleRecord, key: str) -> str:
    d = rec.sample.differences_annotated.get(key)
    if d is None:
        return "<small>(no annotation)</small>"
    name = f"<b>{esc(d.name)}</b> " if d.name else ""
    return f"{name}{esc(d.description)}"


def _closed_table(rec: SampleRecord, with_frames: bool) -> str:
    head = ("<tr><th>key</th><th>annotated difference</th><th>gt</th><th>model</th>"
            "<th>result</th>" + ("<th>keyframes</th>" if with_frames else "") + "</tr>")
    body = []
    for key, gt in rec.sample.differences_gt.items():
        scored = gt in ("a", "b")
        row = rec.rows.get(key)
        pred = rec.predictions.get(key)
        answer = row.get("prediction") if row else (pred.prediction if pred else None)
        said = esc(answer) if answer else "—"
        reason = f"<small>{esc(pred.description)}</small>" if pred and pred.description else ""
        frames = _frames_cell(rec, key, key) if with_frames else ""
        body.append(f'<tr class="{"scored" if scored else "unscored"}" data-key="{esc(key)}">'
                    f'<td>{esc(key)}</td><td class="desc">{_difference_text(rec, key)}</td>'
                    f'{_gt_cell(gt)}<td><span class="lab">{said}</span>{reason}</td>'
                    f"{_result_cell(row, scored)}{frames}</tr>")
    return (f'<div class="twrap"><table class="diffs"><thead>{head}</thead><tbody>'
            f'{"".join(body)}</tbody></table></div>')


def _open_tables(rec: SampleRecord, with_frames: bool) -> str:
    judge = rec.judge or {}
    matches: dict[str, Any] = judge.get("matches") or {}
    opposite: dict[str, Any] = judge.get("opposite") or {}
    head = ("<tr><th>key</th><th>annotated difference</th><th>gt</th>"
            "<th>matched prediction</th><th>direction</th><th>answer</th><th>result</th>"
            + ("<th>keyframes</th>" if with_frames else "") + "</tr>")
    body = []
    for key, gt in rec.sample.differences_gt.items():
        scored = gt in ("a", "b")
        row = rec.rows.get(key)
        pk = row.get("pred_key") if row else matches.get(key)
        pk = None if pk is None else str(pk)
        pred = rec.predictions.get(pk) if pk is not None else None
        if pk is None:
            matched = '<small>no match</small>' if key in matches or row else "—"
            direction = "—"
        else:
            text = esc(pred.description) if pred else "<small>(not in the predictions)</small>"
            said = f' <span class="lab">[{esc(pred.prediction)}]</span>' if pred else ""
            matched = f"<b>p{esc(pk)}</b>: {text}{said}"
            flipped = bool(row.get("flipped")) if row else bool(opposite.get(key))
            direction = ('<span class="flip">opposite: flipped</span>' if flipped
                         else "same" if key in opposite or row else "—")
        answer = row.get("prediction") if row else None
        frames = _frames_cell(rec, key, pk) if with_frames else ""
        body.append(f'<tr class="{"scored" if scored else "unscored"}" data-key="{esc(key)}">'
                    f'<td>{esc(key)}</td><td class="desc">{_difference_text(rec, key)}</td>'
                    f'{_gt_cell(gt)}<td class="desc">{matched}</td><td>{direction}</td>'
                    f'<td class="lab">{esc(answer) if answer else "—"}</td>'
                    f"{_result_cell(row, scored, 'open')}{frames}</tr>")
    out = [f'<div class="twrap"><table class="diffs"><thead>{head}</thead><tbody>'
           f'{"".join(body)}</tbody></table></div>']

    matched_by: dict[str, list[str]] = {}
    for gk, pk in matches.items():
        if pk is not None:
            matched_by.setdefault(str(pk), []).append(str(gk))
    prow = []
    for pk, pred in rec.predictions.items():
        gks = matched_by.get(pk, [])
        if gks:
            to = ", ".join(esc(g) + (' <span class="flip">(opposite)</span>'
                                     if opposite.get(g) else "") for g in gks)
        else:
            to = "<small>unmatched</small>"
        kf = f"<td><small>{_keyframes(rec, pred.frames)}</small></td>" if with_frames else ""
        prow.append(f'<tr data-pred="{esc(pk)}"><td><b>p{esc(pk)}</b></td>'
                    f'<td class="desc">{esc(pred.description)}</td>'
                    f'<td class="lab">{esc(pred.prediction)}</td><td>{to}</td>{kf}</tr>')
    if prow:
        out.append(f"<h3>Predicted differences ({len(prow)})</h3>"
                   '<div class="twrap"><table class="preds"><thead><tr><th>key</th>'
                   "<th>description</th><th>says</th><th>matched to</th>"
                   + ("<th>keyframes</th>" if with_frames else "")
                   + f'</tr></thead><tbody>{"".join(prow)}</tbody></table></div>')
    elif rec.predictions == {}:
        out.append('<p class="noframes">no predicted differences</p>')
    notes = []
    if judge.get("judge_error"):
        notes.append(f'<p class="err">judge error: {esc(judge["judge_error"])}</p>')
    dropped = judge.get("dropped") or []
    if dropped:
        items = "".join(f"<li>{esc(d)}</li>" for d in dropped)
        notes.append(f"<p>the scorer dropped from the judge's matching:</p>"
                     f'<ul class="notes">{items}</ul>')
    return "".join(out + notes)


def render_sample(rec: SampleRecord, strips: tuple[Strip, Strip] | None,
                  frame_error: str | None, mode: str) -> str:
    s = rec.sample
    n_scored = len(rec.rows)
    n_correct = sum(r.get("correct") is True for r in rec.rows.values())
    verdict = (f"{n_correct} of {n_scored} correct" if n_scored else "nothing scored")
    status = rec.status
    anchor = f"sample-{s.sample_key}"
    head = (f'<div class="shead"><h2><a href="#{esc(anchor)}">{esc(s.action_name)}</a> '
            f'<span class="key">{esc(s.sample_key)}</span></h2>'
            f'<span class="chip">{esc(s.split)}</span><span class="chip">{esc(s.domain)}</span>'
            f'<span class="chip">{esc(s.action)}</span>'
            f'<span class="chip">{esc(s.source_dataset)}</span>'
            f'<span class="verdict {esc(rec.result)}">{esc(verdict)}</span>'
            f'<span class="status{" bad" if status not in ("ok", "mixed") else ""}">'
            f"status: {esc(status)}</span></div>")
    parts = [head, f'<p class="adesc">{esc(s.action_description)}</p>']
    out = rec.output or {}
    if out.get("error"):
        parts.append(f'<p class="err">{esc(out.get("status"))}: {esc(out["error"])}</p>')
    if out.get("notes"):
        notes = out["notes"] if isinstance(out["notes"], list) else [out["notes"]]
        parts.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in notes)
                     + "</ul>")
    for i in range(2):
        parts.append(_video(rec, i, strips[i] if strips else None, frame_error, mode))
    with_frames = any(p.frames for p in rec.predictions.values())
    parts.append(_closed_table(rec, with_frames) if mode == "closed"
                 else _open_tables(rec, with_frames))
    raw = out.get("raw")
    if raw:
        text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, indent=1)
        cut = f"\n… ({len(text) - RAW_SHOWN} more characters)" if len(text) > RAW_SHOWN else ""
        parts.append(f'<details class="raw"><summary>the model\'s raw reply '
                     f'({len(text)} characters)</summary><pre>{esc(text[:RAW_SHOWN] + cut)}'
                     "</pre></details>")
    return (f'<section class="sample" id="{esc(anchor)}" data-key="{esc(s.sample_key)}" '
            f'data-split="{esc(s.split)}" data-domain="{esc(s.domain)}" '
            f'data-action="{esc(s.action)}" data-result="{esc(rec.result)}">'
            + "\n".join(parts) + "</section>")


def render_page(rec: RunRecord, frames: dict[str, tuple[Strip, Strip] | str]) -> str:
    """The whole page. frames: per sample_key, its two strips or why there are none."""
    r = rec.results
    title = f"{r.model} · {r.mode} · {r.split} — vdbench run viewer"
    sections = []
    for s in rec.samples:
        got = frames.get(s.sample.sample_key, "not prepared")
        strips = got if isinstance(got, tuple) else None
        error = got if isinstance(got, str) else None
        sections.append(render_sample(s, strips, error, r.mode))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp())}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>\n"
        + render_summary(rec) + "\n" + render_filters(rec.samples) + "\n"
        + "\n".join(sections)
        + f"\n</main><script>{JS}</script></body></html>\n"
    )
