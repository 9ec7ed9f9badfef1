"""Text: from a question's raw text to the tokens a model sees.

- `clean`: markup and control characters out (BeautifulSoup), one clean line, capped.
- `tokens`: the one preprocessing function for one title: `word_tokenize` -> `pos_tag` -> the
  part-of-speech filter (`TokenConfig`) -> lowercase -> stop words out; and `analyze`, which says
  for every word why it was kept or dropped.
- `cache`: many titles at once, with the on-disk tagging cache.
- `pool`: POS tagging on every core (worker processes, output in input order, equal to one process's).

May import `tagger.core` only. Everything above (data loaders, training, serving, the app) gets its
tokens from here, so "the tokens the model sees" means the same thing everywhere.
"""
