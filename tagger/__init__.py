"""Cooking Tagger: suggests Stack Exchange tags for cooking questions.

`from tagger import Tagger` gives the trained-model API (`Tagger.load(path).suggest(title)`);
TensorFlow is imported only when it is first used, so the token tools and the CLI's quick commands
start fast.

The package is layered; each layer may import only the layers listed before it:

    core     where things live, crash-safe writes
    text     cleaning and the POS-filter token pipeline (NLTK, BeautifulSoup)
    data     loading questions from files, the fixed split
    scoring  tag columns, metrics, the baselines
    model    the Keras network, its one training loop, Tagger, streaming, export
    store    the model registry on disk
    app      what the pages do, without Streamlit
    ui       Streamlit glue (the only layer that imports streamlit)
    cli      `python -m tagger ...`

Each layer's `__init__` says what it owns.
"""

from tagger.core import paths

paths.quiet_tensorflow()
paths.setup_nltk_data()


def __getattr__(name):
    if name == "Tagger":
        from tagger.model.predictor import Tagger

        return Tagger
    raise AttributeError(name)


__all__ = ["Tagger"]
