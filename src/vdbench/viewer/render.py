"""view/index.html: one self-contained page (inline CSS and JS, thumbnails as data URIs, no
request leaves the file) that works opened from the file system, drawn from templates/.

Every text that comes from the data or from a model's output is escaped by the templates
(autoescape, html.escape with quotes): model replies are untrusted. A Content-Security-Policy
allows only this page's own script (by its hash), inline styles and data: images, so even a
slip in escaping could not run a script or load anything from the network."""

from __future__ import annotations

import base64
import hashlib

from jinja2 import Environment

from vdbench.pages import page_environment, render_document, source_text
from vdbench.viewer.records import RunRecord
from vdbench.viewer.thumbs import Strip


def content_security_policy(env: Environment, script_name: str) -> str:
    script = source_text(env, script_name)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    return ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
            f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def render_page(rec: RunRecord, frames: dict[str, tuple[Strip, Strip] | str]) -> str:
    """The whole page, as the run's benchmark view (rec.view) shapes it. frames: per
    sample_key, its two strips or why there are none."""
    r = rec.results
    view = rec.view
    samples = []
    for s in rec.samples:
        got = frames.get(s.sample.sample_key, "not prepared")
        samples.append(view.sample(s, got if isinstance(got, tuple) else None,
                                   got if isinstance(got, str) else None, r.mode))
    env = page_environment("vdbench.viewer")
    return render_document(
        env, "viewer.html.j2", title=f"{r.model} · {r.mode} · {r.split} — vdbench run viewer",
        csp=content_security_policy(env, view.script), script=view.script,
        styles=view.styles, summary=view.summary(rec), filters=view.filters(rec.samples),
        samples=samples)
