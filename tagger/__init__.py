"""Cooking Tagger: suggests Stack Exchange tags for cooking questions from their titles.

`from tagger import Tagger` gives the trained-model API; TensorFlow is imported only when it is
first used, so the token tools and the CLI's quick commands start fast.
"""

from tagger import paths

paths.quiet_tensorflow()
paths.setup_nltk_data()


def __getattr__(name):
    if name == "Tagger":
        from tagger.predictor import Tagger

        return Tagger
    raise AttributeError(name)


__all__ = ["Tagger"]
