"""Where things live: the repository, the shipped models, the tagging cache, the state folder, the story's
numbers, the data and NLTK's data.

Every location can be overridden by an environment variable, so tests and deployments can
point the app at a scratch model registry or another data set without touching the code.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"


def models_dir() -> Path:
    return Path(os.environ.get("TAGGER_MODELS", REPO / "models"))


def cache_dir() -> Path:
    return Path(os.environ.get("TAGGER_CACHE", REPO / ".cache"))


def state_dir() -> Path:
    """The writable folder for what the app keeps between visits (the quiz's answers database)."""
    return Path(os.environ.get("TAGGER_STATE_DIR", REPO / ".state"))


def story_file() -> Path:
    """The Story page's computed numbers (`python -m tagger story` writes them; the repo ships them)."""
    return Path(os.environ.get("TAGGER_STORY", REPO / "docs" / "story.json"))


def setup_nltk_data() -> None:
    """Make NLTK find its tagger: $NLTK_DATA if set, else ../shared/nltk_data beside the repo."""
    import nltk

    candidates = [os.environ.get("NLTK_DATA"), str(SHARED / "nltk_data")]
    for path in candidates:
        if path and Path(path).is_dir() and path not in nltk.data.path:
            nltk.data.path.insert(0, path)


def quiet_tensorflow() -> None:
    # TensorFlow prints pages of C++ start-up logs; users should see our messages, not those.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TF 2.21 announces its oneDNN custom ops through absl at every start, whatever the log level;
    # turning them off is the only switch that silences it, and this small Conv1D doesn't need them.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
