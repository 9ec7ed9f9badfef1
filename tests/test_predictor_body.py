"""Title + body through the API: `Tagger.suggest(title, k, body=None)`, body tokens, the cap, and title-only
models, which ignore a body and say so."""

from __future__ import annotations

import numpy as np
import pytest

from tagger.model.predictor import Tagger
from tagger.text import tokens as tok

BODY = ("<p>I keep my <a href='http://example.com/x'>sourdough starter</a> in the fridge &amp; feed it weekly.</p>"
        "<pre><code>flour = 100g</code></pre><img src='http://example.com/i.jpg'>")


@pytest.fixture(scope="module")
def body_tagger(tiny_body_model) -> Tagger:
    return Tagger.load(tiny_body_model)


@pytest.fixture(scope="module")
def title_tagger(tiny_models) -> Tagger:
    from tests.app_helpers import TINY

    return Tagger.load(tiny_models[TINY])


def test_saved_model_reads_two_inputs_and_records_the_body_filter(body_tagger):
    assert body_tagger.uses_body and body_tagger.body_len == 32
    assert body_tagger.metadata["body_token_config"] == tok.TokenConfig(pos_tags=None).to_dict()
    assert [s[-1] for s in body_tagger.model.input_shape] == [body_tagger.max_len, body_tagger.body_len]
    # One StringLookup maps both inputs: every kept body word of a training body is in its vocabulary.
    assert len(body_tagger.vocabulary) == body_tagger.metadata["vocabulary_size"]


def test_body_tokens_are_clean_and_capped(body_tagger):
    words = body_tagger.body_tokens(BODY)
    assert words == ["sourdough", "starter", "fridge", "feed", "weekly"]  # no URL, code or image alt text
    long_body = "<p>" + " ".join(f"bread{i}" for i in range(200)) + "</p>"
    assert len(body_tagger.body_tokens(long_body)) == body_tagger.body_len
    views = body_tagger.analyze_body(long_body)
    assert sum(v.kept for v in views) == body_tagger.body_len
    assert views[-2].reason == f"past the first {body_tagger.body_len} body tokens the model reads"


def test_a_body_changes_what_a_body_model_suggests(body_tagger):
    title = "What can I do with it?"  # "do" and "it" are stop words: the title alone says almost nothing
    alone = body_tagger.suggest(title, k=5)
    with_body = body_tagger.suggest(title, k=5, body=BODY)
    assert with_body and with_body != alone
    probs = body_tagger.predict_proba([body_tagger.tokens(title)], [body_tagger.body_tokens(BODY)])[0]
    assert with_body == body_tagger.ranked(probs, 5)


def test_a_title_alone_works_with_every_model(body_tagger, title_tagger):
    for t in (body_tagger, title_tagger):
        tags = t.suggest("How long can I keep cooked rice in the fridge?", k=3)
        assert len(tags) == 3 and all(0 <= p <= 1 for _, p in tags)
        assert t.suggest("What is this?", k=3) == []  # every word dropped: nothing to suggest


def test_title_only_models_ignore_a_body_and_say_so(title_tagger):
    title = "How long can I keep cooked rice in the fridge?"
    assert title_tagger.suggest(title, 5, body=BODY) == title_tagger.suggest(title, 5)
    assert title_tagger.body_tokens(BODY) == [] and title_tagger.analyze_body(BODY) == []
    assert title_tagger.body_note(BODY) == f"{title_tagger.name} reads titles only: the body was ignored"
    assert title_tagger.body_note("  ") is None


def test_unknown_title_words_are_answered_when_the_body_has_known_ones(body_tagger):
    title_tokens, body_tokens = ["xqzzy"], body_tagger.body_tokens(BODY)
    assert body_tagger.silence(title_tokens) is not None
    assert body_tagger.silence(title_tokens, body_tokens) is None
    probs = body_tagger.predict_proba([title_tokens, title_tokens], [[], body_tokens])
    assert not probs[0].any() and probs[1].any()


def test_contributions_cover_title_and_body_words(body_tagger):
    title, body = body_tagger.tokens("Can I freeze bread?"), body_tagger.body_tokens(BODY)
    tag = body_tagger.suggest_tokens(title, 1, body)[0][0]
    rows = body_tagger.contributions(title, [tag], body)
    assert [(r["part"], r["token"]) for r in rows] == [("title", t) for t in title] + [("body", t) for t in body]
    full = body_tagger.predict_proba([title], [body])[0][body_tagger.tags.index(tag)]
    without = body_tagger.predict_proba([title], [body[1:]])[0][body_tagger.tags.index(tag)]
    assert np.isclose(rows[len(title)]["contribution"], full - without, atol=1e-6)


def test_suggest_many_with_bodies_matches_one_by_one(body_tagger):
    titles, bodies = ["Can I freeze bread?", "Knife sharpening"], [BODY, "<p>whetstone angle</p>"]
    many = body_tagger.suggest_many(titles, 3, bodies)
    assert many == [body_tagger.suggest(t, 3, body=b) for t, b in zip(titles, bodies, strict=True)]
