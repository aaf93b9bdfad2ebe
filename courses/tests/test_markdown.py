"""Markdown rendering and sanitising (markdown-it-py + nh3 allow-list)."""

import pytest

from courses.markdown import render_markdown, sanitize_html, strip_markup


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("**bold** and _em_", "<p><strong>bold</strong> and <em>em</em></p>\n"),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        (
            "[ok](https://example.test)",
            '<p><a href="https://example.test" rel="noopener noreferrer nofollow">ok</a></p>\n',
        ),
        ("", ""),
    ],
)
def test_render_markdown(source, expected):
    assert render_markdown(source) == expected


def test_sanitizer_drops_what_the_allow_list_does_not_name():
    dirty = (
        '<p onclick="x()" style="color:red">a</p><iframe src="//evil"></iframe>'
        '<img src="x" onerror="alert(1)"><a href="javascript:alert(1)">b</a>'
        '<table><tr><td style="text-align:right;background:url(x)">c</td></tr></table>'
    )
    clean = sanitize_html(dirty)
    for needle in ("onclick", "iframe", "onerror", "javascript:", "background", "color"):
        assert needle not in clean
    assert "text-align:right" in clean


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C++ & Go: a < b", "C++ & Go: a < b"),
        ("<b>Bold</b> title", "Bold title"),
        ("<script>alert(1)</script>Intro", "Intro"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;Intro", "Intro"),
        ("  many   spaces\n", "many spaces"),
    ],
)
def test_strip_markup(value, expected):
    assert strip_markup(value) == expected
