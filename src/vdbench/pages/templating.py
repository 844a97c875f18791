"""jinja2 for the static pages: templates from the page's own package first, then from this
one (the layout and the shared stylesheet).

Autoescape is on, and every `{{ value }}` that is not already markup goes through
html.escape with quotes escaped, exactly as the pages were escaped before they had templates:
data and model replies are untrusted text. Style and script files are inlined as they are, by
`inline("name")`, so a page stays one self-contained file."""

from __future__ import annotations

from html import escape
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined
from markupsafe import Markup


def _escaped(value: Any) -> Any:
    """jinja2's finalize hook: runs before autoescape, which leaves Markup alone."""
    return value if isinstance(value, Markup) else Markup(escape(str(value), quote=True))


def page_environment(package: str) -> Environment:
    """An environment for the pages of `package` (which has a templates/ folder)."""
    env = Environment(
        loader=ChoiceLoader([PackageLoader(package, "templates"),
                             PackageLoader("vdbench.pages", "templates")]),
        autoescape=True, finalize=_escaped, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True)
    env.globals["inline"] = lambda name: Markup(source_text(env, name))
    return env


def source_text(env: Environment, name: str) -> str:
    """A template folder's file as it is (a stylesheet, a script), not rendered."""
    assert env.loader is not None
    return env.loader.get_source(env, name)[0]


def render_document(env: Environment, name: str, **context: Any) -> str:
    """A whole page, ending with a newline."""
    return env.get_template(name).render(**context) + "\n"
