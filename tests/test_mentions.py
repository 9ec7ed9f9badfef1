"""The tag-name boost (`tagger.model.mentions` and the `TagMentions` layer): which tags a question names, in
Python and in the graph alike, on real questions and the tags they carry; and a title-only model serving it."""

from __future__ import annotations

import numpy as np
import pytest

from tagger.model import mentions, network
from tagger.model.network import HParams
from tagger.scoring.labels import TagColumns


def test_a_tag_is_named_when_every_word_of_it_is_there_singular_or_plural():
    assert mentions.word_key("Eggs") == "egg" and mentions.word_key("glass") == "glass"
    assert mentions.word_key("gas") == "gas"  # too short to be a plural
    assert mentions.tag_words("cast-iron") == ["cast", "iron"]
    assert mentions.tag_words("brussels-sprouts") == ["brussel", "sprout"]
    tags = ["cast-iron", "eggs", "pan", "iron", "cast-iron-skillet", "sous-vide"]
    assert mentions.mentioned(["season", "cast", "iron", "pans"], tags) == ["cast-iron", "pan", "iron"]
    assert mentions.mentioned(["egg", "iron"], tags) == ["eggs", "iron"]
    assert mentions.mentioned(["cast"], tags) == []  # half a tag's name is not its name
    assert mentions.mentioned([], tags) == []


def _layer(weights, boost):
    from tagger.model.layers import TagMentions

    layer = TagMentions(len(weights.word_of_id), weights.words, len(weights.needed), boost)
    layer.build((None, None))
    layer.set_weights([weights.word_of_id, weights.tag_words, weights.needed])
    return layer


def test_the_layer_finds_the_tags_real_questions_name_as_python_does(body_rows):
    hp, titles, bodies, tags = body_rows
    vocabulary = network.vocabulary_with_body(titles, bodies, 1500, 2)
    tag_names = TagColumns.learn(tags, 2).tags + ["zzzunheard-salt"]  # one word the vocabulary lacks
    weights = mentions.fit(vocabulary, tag_names)
    assert weights.needed[-1] == mentions.NEVER
    known = set(vocabulary)
    questions = [list(t) + list(b) for t, b in zip(titles, bodies, strict=True)] + [["salt"], [], ["zzz-never-seen"]]
    lookup = network.build(vocabulary, 3, hp).lookup
    ids = np.asarray(lookup(network.pad(questions, max(len(q) for q in questions))))
    boosts = np.asarray(_layer(weights, 0.75)(ids))
    expected = np.zeros_like(boosts)
    for i, q in enumerate(questions):
        for tag in mentions.mentioned([t for t in q if t in known], tag_names):
            expected[i, tag_names.index(tag)] = 0.75
    np.testing.assert_array_equal(boosts, expected)
    assert (boosts > 0).sum() > len(titles)  # real questions name tags: more than one a question
    assert boosts[-3, tag_names.index("salt")] == 0.75 and not boosts[-2:].any()
    # Named tags are far likelier to be the question's own than any tag is.
    truth = TagColumns(tag_names).multi_hot(tags) > 0
    named = boosts[:len(titles)] > 0
    assert (truth & named).sum() / named.sum() > 5 * truth.mean()


def test_a_title_model_boosts_the_tags_its_title_names(body_rows):
    _, titles, _, tags = body_rows
    hp = HParams(epochs=1, filters=16, embedding_dim=16, bag_dim=16, max_len=16, mention_title=2.0)
    vocabulary = network.build_vocabulary(titles, 1500, 1)
    tag_names = TagColumns.learn(tags, 2).tags
    net = network.build(vocabulary, len(tag_names), hp)
    served = network.serving_network(net, hp, mention_weights=mentions.fit(vocabulary, tag_names))
    assert served is not net and "title_names_tag" in [layer.name for layer in served.core.layers]
    ids = np.asarray(net.lookup(network.pad(titles, hp.max_len)))
    before, after = np.asarray(net.core(ids)), np.asarray(served.core(ids))
    p = np.clip(before, 1e-7, 1 - 1e-7)
    named = np.zeros_like(before)
    for i, title in enumerate(titles):
        for tag in mentions.mentioned([t for t in title if t in set(vocabulary)], tag_names):
            named[i, tag_names.index(tag)] = 1
    assert named.sum() > 100
    np.testing.assert_allclose(after, 1 / (1 + np.exp(-(np.log(p) - np.log1p(-p) + 2.0 * named))), atol=1e-5)


@pytest.mark.parametrize("bad", [{"mention_title": 5.5}, {"mention_body": -0.5, "body_len": 8}, {"mention_body": 1.0}])
def test_bad_boosts_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match="mention"):
        HParams(**bad)
