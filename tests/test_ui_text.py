"""Text that reaches Streamlit's Markdown or HTML from users or files is shown as text."""

from tagger.ui.safe import escape, plain
from tests.app_helpers import shown


def test_plain_escapes_markdown_and_defuses_bare_links():
    typed = "name ![p](http://203.0.113.9/p.png) [x](https://a.b) www.c.d e@f.g $x$ **b** <i>"
    out = plain(typed)
    for raw in ("![", "](", "**", "$x$", "<i>", "http:", "https:", "www.", "e@f"):
        assert raw not in out, raw
    assert shown(out).replace("\u2060", "") == typed  # a reader sees exactly what was typed
    assert plain("two\nlines") == "two lines"


def test_escape_for_html():
    assert escape("<img src=x onerror=alert(1)> & 'q'") == "&lt;img src=x onerror=alert(1)&gt; &amp; &#x27;q&#x27;"
