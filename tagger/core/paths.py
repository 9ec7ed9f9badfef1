"""Where things live: the repository, the shipped models, the tagging cache, the state folder, the story's
numbers, the data and NLTK's data.

The repository carries everything it needs to run (`data/`, `nltk_data/`, `models/`), so a bare clone works
with no settings. Every location can be overridden by an environment variable, so tests and deployments can
point the app at a scratch model registry or another data set without touching the code.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA_FILE = REPO / "data" / "cooking.csv.gz"  # id,title,tags; see data/README.md for source and licence
POSTS_FILE = REPO / "data" / "cooking-posts.csv.gz"  # the same questions with their bodies (id,title,body,tags)
NLTK_DIR = REPO / "nltk_data"  # NLTK's averaged_perceptron_tagger_eng; see nltk_data/README.md
# The TF-IDF baseline's scores on the Retrain page's untouched slices, so that a fresh server's first retrain
# doesn't fit ~700 logistic regressions beside the Conv1D (`python -m tagger baselines` writes them).
BASELINE_SCORES_DIR = REPO / "data" / "baseline-scores"


def models_dir() -> Path:
    return Path(os.environ.get("TAGGER_MODELS", REPO / "models"))


def cache_dir() -> Path:
    return Path(os.environ.get("TAGGER_CACHE", REPO / ".cache"))


def secrets_files() -> list[Path]:
    """The secrets.toml files Streamlit reads, in its order (later files win): the user's, the working
    directory's, the app's own. $TAGGER_SECRETS names one file instead (tests use it to stay independent
    of whatever a developer keeps in ~/.streamlit)."""
    if os.environ.get("TAGGER_SECRETS"):
        return [Path(os.environ["TAGGER_SECRETS"])]
    found = []
    for path in (Path.home() / ".streamlit" / "secrets.toml", Path.cwd() / ".streamlit" / "secrets.toml",
                 REPO / ".streamlit" / "secrets.toml"):
        if path not in found:
            found.append(path)
    return found

def state_dir() -> Path:
    """The writable folder for what the app keeps between visits (the quiz's answers database)."""
    return Path(os.environ.get("TAGGER_STATE_DIR", REPO / ".state"))


def story_file() -> Path:
    """The Story page's computed numbers (`python -m tagger story` writes them; the repo ships them)."""
    return Path(os.environ.get("TAGGER_STORY", REPO / "docs" / "story.json"))


def setup_nltk_data() -> None:
    """Make NLTK find its tagger: the folders in $NLTK_DATA first when set, then the repository's nltk_data/."""
    import nltk

    # NLTK reads $NLTK_DATA itself at import, but may append it after its default folders; put it first, then
    # the shipped copy, which stays as the fallback for a setting that points at a folder without the tagger.
    wanted = [p for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p] + [str(NLTK_DIR)]
    wanted = [p for p in dict.fromkeys(wanted) if Path(p).is_dir()]
    nltk.data.path[:] = wanted + [p for p in nltk.data.path if p not in wanted]


def quiet_tensorflow() -> None:
    # TensorFlow prints pages of C++ start-up logs; users should see our messages, not those.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TF 2.21 announces its oneDNN custom ops through absl at every start, whatever the log level;
    # turning them off is the only switch that silences it, and this small Conv1D doesn't need them.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
