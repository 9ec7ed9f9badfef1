"""The tag-name boost of a tagger: a tag whose own name is in the question (every word of it, singular or
plural: `cast-iron` needs "cast" and "iron", `eggs` takes "egg") gains a fixed amount on its logit, one
amount for the title and a smaller one for the rest of the question. Built in the Keras graph
(`network.serving_network`, the `TagMentions` layer) from the tags and the network's vocabulary alone, so
it needs no training rows and travels in the saved model file.

Why: people who ask often name the tag they will get ("How do I season a cast iron pan?"). The Conv1D, the
linear model and the neighbours learn that from examples, so for a tag with few questions they rank it low
even when its name is right there. On validation rows cut from the training rows (title + body, 2 seeds,
see the README's Title and body) +1.0 for the title and +0.25 for the body lifted the shipped blend from
P@1 0.740 / R@5 0.738 to 0.742 / 0.747. A tag named in the title is one of the question's tags 58% of the
time, one named only somewhere in the first 64 body words 27%: hence the two amounts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# A tag with a word the vocabulary lacks can never be matched: its count of words needed is out of reach.
NEVER = 1e9


def word_key(word: str) -> str:
    """A word with a plain English plural folded onto its singular ("eggs" -> "egg", "glass" stays)."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def tag_words(tag: str) -> list[str]:
    """The words of a Stack Exchange tag (`cast-iron` -> ["cast", "iron"]), as `word_key`s, once each."""
    return list(dict.fromkeys(word_key(w) for w in re.split(r"[-_.]+", tag) if w))


def mentioned(tokens: Sequence[str], tags: Sequence[str]) -> list[str]:
    """Which of `tags` the tokens name, all their words present (what `TagMentions` computes, in Python, for
    the app to show)."""
    have = {word_key(t) for t in tokens}
    return [tag for tag in tags if (words := tag_words(tag)) and all(w in have for w in words)]


@dataclass
class MentionWeights:
    """What the `TagMentions` layer holds: for each of the network's token ids (0 padding and 1 unknown
    included) the index of its word among the tags' words (`words` for none), which words each tag needs
    ([words + 1, tags], the last row none) and how many (`NEVER` when the vocabulary lacks one)."""

    word_of_id: np.ndarray  # [vocabulary + 2] int64
    tag_words: np.ndarray  # [words + 1, tags] float32
    needed: np.ndarray  # [tags] float32

    @property
    def words(self) -> int:
        return len(self.tag_words) - 1


def fit(vocabulary: Sequence[str], tags: Sequence[str]) -> MentionWeights:
    """The weights for a network whose ids are 0 padding, 1 unknown, then `vocabulary` in order."""
    per_tag = [tag_words(t) for t in tags]
    words = sorted({w for ws in per_tag for w in ws})
    index = {w: i for i, w in enumerate(words)}
    word_of_id = np.full(len(vocabulary) + 2, len(words), np.int64)
    for i, token in enumerate(vocabulary):
        word_of_id[i + 2] = index.get(word_key(token), len(words))
    known = set(word_of_id[2:].tolist())
    matrix = np.zeros((len(words) + 1, len(tags)), np.float32)
    needed = np.full(len(tags), NEVER, np.float32)
    for j, ws in enumerate(per_tag):
        for w in ws:
            matrix[index[w], j] = 1.0
        if ws and all(index[w] in known for w in ws):
            needed[j] = len(ws)
    return MentionWeights(word_of_id, matrix, needed)
