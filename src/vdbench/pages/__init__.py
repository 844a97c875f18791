"""The HTML pages' common ground: one jinja2 environment per page package, the shared layout
(templates/page.html.j2) and the shared stylesheet (templates/page.css). The viewer and the
leaderboard build on it and never import each other."""

from vdbench.pages.templating import page_environment, render_document, source_text

__all__ = ["page_environment", "render_document", "source_text"]
