"""What a token filter costs, measured on tagged titles."""

import pytest

from tagger.app import filter_stats
from tagger.text import cache, tokens as tok


def test_tag_words():
    assert filter_stats.tag_words("baking-soda") == ["baking", "soda"]
    assert filter_stats.tag_words("Bread") == ["bread"]


def test_stats_on_hand_tagged_titles():
    tagged = [
        [("How", "WRB"), ("to", "TO"), ("bake", "VB"), ("sourdough", "NN"), ("bread", "NN"), ("?", ".")],
        [("What", "WP"), ("is", "VBZ"), ("this", "DT"), ("?", ".")],
        [("Substituting", "VBG"), ("baking", "NN"), ("soda", "NN")],
    ]
    truth = [["bread", "baking"], ["equipment"], ["baking-soda", "substitutions"]]
    nouns = filter_stats.stats(tagged, truth, tok.TokenConfig())
    assert nouns.vocabulary == 5  # sourdough, bread, substituting, baking, soda
    assert nouns.empty_share == pytest.approx(1 / 3)
    assert nouns.tag_word_share == pytest.approx(2 / 5)  # bread, baking-soda
    assert nouns.mean_tokens == pytest.approx(5 / 3)
    everything = filter_stats.stats(tagged, truth, tok.TokenConfig(pos_tags=None))
    assert everything.vocabulary == 6  # + bake ("how", "to", "what", "is", "this" are stop words)
    assert everything.empty_share == pytest.approx(1 / 3)


def test_compare_covers_every_named_filter_on_real_titles(questions):
    rows = questions.iloc[:300]
    tagged = cache.tag_titles(rows.title.tolist())
    table = filter_stats.compare(tagged, rows.tags.tolist())
    assert table["filter"].tolist() == list(tok.FILTERS)
    by_name = table.set_index("filter")
    narrow, wide = by_name.iloc[0], by_name.loc["all words"]
    # Keeping more words can only grow the vocabulary and shrink the titles left empty.
    assert narrow.vocabulary < by_name.iloc[1].vocabulary < wide.vocabulary
    assert narrow.empty_share >= by_name.iloc[1].empty_share >= wide.empty_share
    assert narrow.tag_word_share <= wide.tag_word_share
    assert 0 < narrow.empty_share < 0.5 and 0 < narrow.tag_word_share < 1
