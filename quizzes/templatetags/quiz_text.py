"""Template filters for the quizzes pages: a question prompt (or quiz instructions) is
Markdown written by the course team, shown as sanitised HTML wherever a person reads it.

`markdown` renders with `courses.markdown.render_markdown` (markdown-it with raw HTML
off, then nh3 with an allow-list), so the output is safe to insert as is. `plain` is the
same text without markup, for one-line summaries (a `<details>` summary, a select).
Rendering happens per page view: prompts are short and a page shows at most a few dozen.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from courses.markdown import render_markdown, strip_markup

register = template.Library()


@register.filter
def markdown(source: object) -> SafeString:
    # render_markdown's output went through nh3's allow-list: safe to mark as such.
    return mark_safe(render_markdown(str(source or "")))  # noqa: S308


@register.filter
def plain(source: object) -> str:
    """The rendered text without tags (autoescaped again when shown)."""
    return strip_markup(render_markdown(str(source or "")))
