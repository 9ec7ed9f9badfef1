"""The TF-IDF baseline learns each tag from its own rows: on real questions it beats "always the most frequent"."""

from tagger.data.split import holdout_split
from tagger.scoring import baselines
from tagger.text import cache
from tagger.text import tokens as tok


def test_tfidf_beats_the_most_frequent_tags_on_real_questions(questions):
    train, test = holdout_split(questions.head(3000))  # over 127 tags: the case an int8 target matrix broke
    config = tok.TokenConfig()
    train_tokens, test_tokens = (cache.tokens_many(part.title.tolist(), config) for part in (train, test))
    tfidf = baselines.TfidfBaseline().fit(train_tokens, train.tags.tolist())
    frequent = baselines.MostFrequentBaseline().fit(train_tokens, train.tags.tolist())
    assert len(tfidf.tags) > 127
    scored = baselines.evaluate_scorer(tfidf, test_tokens, test.tags.tolist())
    floor = baselines.evaluate_scorer(frequent, test_tokens, test.tags.tolist())
    assert scored["p_at_1"] > floor["p_at_1"] + 0.1, (scored, floor)
    # On its own training rows, its top tag is nearly always one of the question's tags.
    own = baselines.evaluate_scorer(tfidf, train_tokens[:300], train.tags.tolist()[:300])
    assert own["p_at_1"] > 0.8, own
