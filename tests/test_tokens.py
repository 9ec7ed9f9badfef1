"""The token filter on known titles: the question's pipeline, exactly."""

import pytest

from tagger.text import cache, tokens as tok

NOUNS = tok.TokenConfig()
ALL = tok.TokenConfig.from_pos("all")


def test_nouns_and_gerunds_only():
    # NLTK tags 'cheese' as an adjective and 'potato' as a verb here: the filter drops them, which is
    # the reviewer's point about signal thrown away.
    tagged = dict(tok.tag_title("How much does potato starch affect a cheese sauce recipe?"))
    assert tagged["cheese"] == "JJ"
    assert tok.tokens("How much does potato starch affect a cheese sauce recipe?", NOUNS) == [
        "starch", "sauce", "recipe"]


def test_gerund_kept_and_lowercased():
    assert tok.tokens("Dangerous pathogens capable of growing in acidic environments", NOUNS) == [
        "pathogens", "growing", "environments"]


def test_all_words_drops_stop_words_and_punctuation():
    got = tok.tokens("How do I cover up the white spots on my cast iron stove?", ALL)
    assert got == ["cover", "white", "spots", "cast", "iron", "stove"]
    assert "?" not in got and "the" not in got


def test_nothing_left_is_an_empty_list():
    assert tok.tokens("What is this?", NOUNS) == []
    assert tok.tokens("", NOUNS) == []
    assert tok.tokens("   \n\t ", ALL) == []


def test_analyze_explains_every_word():
    views = tok.analyze("What is the best bread?", NOUNS)
    by_word = {v.word: v for v in views}
    assert by_word["bread"].kept and by_word["bread"].token == "bread"
    assert not by_word["best"].kept and "JJS" in by_word["best"].reason
    assert by_word["?"].reason == ". is not in the filter"
    assert tok.judge("?", ".", ALL).reason == "punctuation"
    assert tok.judge("The", "DT", ALL).reason == "stop word"
    assert [v.token for v in views if v.kept] == tok.tokens("What is the best bread?", NOUNS)


def test_html_is_stripped_and_input_capped():
    assert tok.tokens("<b>Sourdough</b> &amp; <script>alert(1)</script> bread", ALL)[:1] == ["sourdough"]
    long = "bread " * 5000
    assert len(tok.clean_text(long)) <= tok.MAX_TITLE_CHARS


def test_control_and_bidi_characters_are_removed():
    assert tok.clean_text("pan\x00cake\u202e sugar\u200b") == "pan cake sugar"


@pytest.mark.parametrize("spec,expected",
                         [("NN,NNS,VBG", ("NN", "NNS", "VBG")), ("all", None), (" nn , jj ", ("NN", "JJ"))])
def test_pos_specs(spec, expected):
    assert tok.TokenConfig.from_pos(spec).pos_tags == expected


@pytest.mark.parametrize("spec", ["", "NN;JJ", "../etc", "NOTATAG1"])
def test_bad_pos_specs(spec):
    with pytest.raises(ValueError):
        tok.TokenConfig.from_pos(spec)


def test_config_round_trips():
    for config in (NOUNS, ALL, tok.TokenConfig(("NN",), lowercase=False, drop_stop_words=False)):
        assert tok.TokenConfig.from_dict(config.to_dict()) == config


def test_batch_matches_single_and_uses_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TAGGER_CACHE", str(tmp_path))
    titles = ["Can I freeze bread dough?", "What is this?", "Boiling eggs at altitude"]
    first = cache.tokens_many(titles, NOUNS)
    assert first == [tok.tokens(t, NOUNS) for t in titles]
    files = list((tmp_path / "tagged").glob("*.json.gz"))
    assert len(files) == 1
    # A second filter reuses the same tagged cache entry: no new file.
    assert cache.tokens_many(titles, ALL) == [tok.tokens(t, ALL) for t in titles]
    assert len(list((tmp_path / "tagged").glob("*.json.gz"))) == 1
    # A damaged cache entry is rebuilt, not trusted.
    files[0].write_bytes(b"not gzip")
    assert cache.tokens_many(titles, NOUNS) == first


def test_missing_nltk_data_says_how_to_fix(monkeypatch):
    import nltk

    monkeypatch.setattr(nltk.data, "path", [])
    monkeypatch.setenv("NLTK_DATA", "/nonexistent")
    monkeypatch.setattr(tok.paths, "NLTK_DIR", tok.paths.REPO / "no-such-nltk_data")
    with pytest.raises(tok.TokenizerError, match="NLTK_DATA"):
        tok.tag_title("Can I freeze bread?")
