"""Markdown to safe HTML, and plain text without markup.

Markdown is rendered by markdown-it-py (CommonMark, raw HTML off: it comes out escaped),
then sanitised by nh3 (ammonia) with an allow-list, so stored HTML is safe to insert into
a page as is, whatever the renderer lets through.
"""

import html

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "code": {"class"},  # "language-python" from fenced blocks
    "td": {"style"},
    "th": {"style"},  # table column alignment
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}
# Only text alignment survives in style attributes.
ALLOWED_STYLE_PROPERTIES = {"text-align"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable(["table", "strikethrough"])


def sanitize_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties=ALLOWED_STYLE_PROPERTIES,
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Sanitised HTML for a Markdown source; empty for an empty source."""
    if not source.strip():
        return ""
    return sanitize_html(_markdown.render(source))


def strip_markup(value: str) -> str:
    """Plain text with every tag (and script/style content) removed, entities decoded.

    For single-line fields (titles): they stay readable text ("C++ & Go" is unchanged), and
    can never turn into markup, even if a client decodes entities (`&lt;script&gt;` does
    not come back as a tag: stripping repeats until nothing changes).
    """
    text = value
    for _ in range(5):
        cleaned = html.unescape(nh3.clean(text, tags=set(), strip_comments=True))
        if cleaned == text:
            break
        text = cleaned
    return " ".join(text.split())
