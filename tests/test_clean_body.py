"""`clean_body`: question bodies (HTML, Markdown, plain text) -> one line of sentences.

Hand-made cases first, then real bodies from data/cooking-posts.csv.gz picked by question id for what
they hold (a list, a link whose text is its URL, entities, a <pre><code> block, an image, broken HTML),
then every body of the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tagger.text.clean import MAX_BODY_CHARS, clean_body

POSTS = Path(__file__).resolve().parents[1] / "data" / "cooking-posts.csv.gz"


@pytest.mark.parametrize("raw, expected", [
    (None, ""), ("", ""), ("  \n ", ""), ("<p></p><p> </p>", ""),
    ("plain text, no markup", "plain text, no markup."),
    ("<p>One</p><p>Two!</p>", "One. Two!"),
    ("<ul><li>flour</li><li>eggs</li></ul>", "flour. eggs."),
    ("<p>1 cup flour<br>2 eggs<br/>salt</p>", "1 cup flour. 2 eggs. salt."),
    ("<p><em>un</em>cooked m<sup>2</sup></p>", "uncooked m2."),
    ("<p>Salt &amp; pepper at 350&deg;F for 2&frac12; h&nbsp;&ndash; ok?</p>", "Salt & pepper at 350°F for 2½ h – ok?"),
    ("<p>See <a href='http://x.com/a'>this recipe</a>.</p>", "See this recipe."),
    ("<p>Video: <a href='https://youtu.be/x'>https://youtu.be/x</a></p>", "Video:"),
    ("<p>Go to http://example.com/page?q=1 or www.example.org now</p>", "Go to or now."),
    ("<p>Use <code>ghee</code> not butter</p>", "Use ghee not butter."),
    ("<p>I used:</p><pre><code>2 cups flour\n1 egg\n</code></pre><p>Why?</p>", "I used: Why?"),
    ("<p>x</p><code>multi\nline code</code><p>y</p>", "x. y."),
    ("<p>x</p><img src='a.jpg' alt='enter image description here'><p>y</p>", "x. y."),
    ("<blockquote><p>Quoted step</p></blockquote><p>My question</p>", "Quoted step. My question."),
    ("<!-- c --><p>kept</p><script>alert(1)</script><style>p{}</style>", "kept."),
    ("<p>zero\u200bwidth\u00a0nbsp\x00nul</p>", "zero width nbsp nul."),
    # Markdown, as the site's editor writes it, and plain text with line breaks
    ("I tried **this** [recipe](http://x.com/r) with `ghee`:\n\n- flour\n- 2 eggs\n\n```\nmix()\n```\nWhy?",
     "I tried this recipe with ghee: flour. 2 eggs. Why?"),
    ("# Update\n> quoted line\n1. first\n2) second\n![photo](http://x.com/p.jpg)",
     "Update. quoted line. first. second."),
    ("snake_case stays, _emphasis_ goes", "snake_case stays, emphasis goes."),
    # text that looks like markup after decoding stays text, and cleaning again changes nothing
    ("&lt;b&gt;bold&lt;/b&gt; AT&amp;T", "< b>bold< /b> AT& T."),
    ("temperature < 40F & 5 > 3", "temperature < 40F & 5 > 3."),
])
def test_cases(raw, expected):
    assert clean_body(raw) == expected
    assert clean_body(expected) == expected


@pytest.mark.parametrize("raw", [
    "<p>unclosed <strong>bold <em>and italic</p> after", "<ul><li>one<li>two<li>three</ul>",
    "</div></p>stray end tags</li>", "<p class=\"unterminated", "<a href='x'>no end", "<<<>>>&&&;;;&#xZZZ;&#99999999;",
    "<p>" * 3000 + "deep", "<b>x</b>" * 50_000, "word " * 20_000, b"<p>bytes</p>", 12345,
])
def test_broken_or_huge_input_never_raises(raw):
    out = clean_body(raw)
    assert isinstance(out, str) and len(out) <= MAX_BODY_CHARS
    assert "\n" not in out and "  " not in out and out == out.strip()
    assert not re.search(r"<(p|li|a|b|strong|div)\b", out)
    assert clean_body(out) == out


def test_broken_markup_keeps_its_text():
    assert clean_body("<ul><li>one<li>two<li>three</ul>") == "one. two. three."
    assert clean_body("<p><em><strong>mis-nested</em></strong> text</p>") == "mis-nested text."


def test_cap_cuts_at_a_word():
    out = clean_body("<p>" + "tomato " * 2000 + "</p>", max_chars=100)
    assert len(out) <= 100 and out.endswith("tomato.")


@pytest.fixture(scope="module")
def bodies() -> pd.Series:
    return pd.read_csv(POSTS, keep_default_na=False).set_index("id").body


# question id -> (what the raw HTML holds, fragments the cleaned text must hold, fragments it must not)
REAL = {
    69005: ("<ol>", ["bond together better? 1lb ground beef. 2/3 cup cup milk. 1 egg. 1 cup cheese. 1/2 cup oats."],
            []),
    58206: ("<a href", ["this recipe for making cheese sauce: While purchasing"], ["youtube", "watch?v"]),
    10636: ("&frac12;", ["braised in a 350° oven for 2 - 2½ hours."], ["&deg;"]),
    67298: ("&ndash;", ["Carrots do that especially often – I cannot chop them"], ["&nbsp;"]),
    13218: ("&amp;", ["individual zabaglione & fruit souffles"], ["&amp;"]),
    63511: ("<pre><code>", ["I ended up with: Will these pickles still be safe to eat?"],
            ["Apple cider vinegar (5% acidity)", "2 tablespoons pickling salt"]),
    35368: ("<code>ghee</code>", ["use ghee instead of butter in dessert"], []),
    4329: ("<img", ["fold down lid. I have heard that"], ["gardenfurnitureplanet", "alt text"]),
    # broken HTML: <li> never closed, a stray </li>, <strong><em> closed out of order
    72993: ("</li>\n</p>", ["Combination 2(55% time for microwave and 45% time for grill). Is it possible"], []),
    53370: ("<strong><em>stew 2.0 kg</strong>", ["tells me to stew 2.0 kg of Lamb shoulder meat in the oven"], []),
}


@pytest.mark.parametrize("qid", list(REAL))
def test_real_bodies(bodies, qid):
    holds, present, absent = REAL[qid]
    raw = bodies[qid]
    assert holds in raw  # the body really has what it is picked for
    out = clean_body(raw)
    for fragment in present:
        assert fragment in out, (qid, fragment, out)
    for fragment in absent:
        assert fragment not in out, (qid, fragment)
    assert "http" not in out and not re.search(r"</?[a-z]+[ >]", out)


def test_every_body_of_the_data(bodies):
    """Every body comes out non-empty, one line, without markup, URLs or entities, and is stable."""
    markup = re.compile(r"</?(p|li|ul|ol|a|em|strong|code|pre|img|br|blockquote|h\d)\b")
    for qid, raw in bodies.items():
        out = clean_body(raw)
        assert out, qid
        assert "\n" not in out and "  " not in out, qid
        assert not markup.search(out) and not re.search(r"https?://", out), qid
        assert not re.search(r"&(amp|lt|gt|quot|nbsp|deg|#\d+);", out), qid
        assert clean_body(out) == out, qid
