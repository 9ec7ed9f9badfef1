"""The `train` command's options: the data and output, one flag per recipe setting (`HP_OPTIONS`: each sets
the `HParams` field of the same name, None keeping the recipe's default), and the switches for the
all-rows, streaming and multi-worker paths. `tagger.cli` builds the rest of the command line."""

from __future__ import annotations

import argparse

from tagger.core import paths

# `train` options that set a hyperparameter of the same name (None: the recipe's default).
HP_OPTIONS = ("embedding_dim", "filters", "dropout", "batch_size", "min_tag_count", "output", "min_token_count",
              "learning_rate", "members", "label_smoothing", "max_len", "monitor", "bag_dim", "optimizer",
              "ensemble_loss", "max_vocab", "body_len", "body_filters", "bag_title_times", "bag_weights",
              "wide", "wide_c", "knn", "knn_k", "rarity", "mention_title", "mention_body")


def add_train_arguments(t: argparse.ArgumentParser) -> None:
    t.add_argument("--data")
    t.add_argument("--out", required=True)
    t.add_argument("--pos", default="NN,NNS,VBG", help="POS tags to keep, or 'all'")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--eval-data", help="held-out questions: report and store metrics beside the baseline")
    t.add_argument("--embedding-dim", type=int)
    t.add_argument("--filters", type=int)
    t.add_argument("--kernel-sizes", help="e.g. 1,2,3")
    t.add_argument("--dropout", type=float)
    t.add_argument("--batch-size", type=int)
    t.add_argument("--min-tag-count", type=int)
    t.add_argument("--min-token-count", type=int, help="drop tokens seen fewer times (smaller model)")
    t.add_argument("--learning-rate", type=float)
    t.add_argument("--output", choices=("sigmoid", "softmax"))
    t.add_argument("--members", type=int, help="Conv1D networks in the ensemble, averaged in one graph (1: a single "
                                               "network)")
    t.add_argument("--label-smoothing", type=float)
    t.add_argument("--max-len", type=int, help="tokens read per title")
    t.add_argument("--monitor", choices=("p_at_1", "p_at_1+r_at_5"), help="what early stopping watches")
    t.add_argument("--bag-dim", type=int, help="the bag-of-words path's vector size beside the convolutions (0: none)")
    t.add_argument("--bag-weights", action=argparse.BooleanOptionalAction,
                   help="learn a weight per token in the bag of words' mean, an IDF learned for the tags (default: on)")
    t.add_argument("--optimizer", choices=("lazy_adam", "adam"),
                   help="lazy_adam (default) updates only the embedding rows a batch used")
    t.add_argument("--ensemble-loss", choices=("average", "each"),
                   help="with --members N: train the averaged probabilities (default) or each member on its own")
    t.add_argument("--max-vocab", type=int, help="tokens the model learns at most (smaller file)")
    t.add_argument("--body-len", type=int,
                   help="title + body model: read the first N body tokens its body filter keeps (0: titles only); "
                        f"with no --data or TAGGER_DATA it trains on {paths.POSTS_FILE.name}")
    t.add_argument("--body-pos", default="all", help="with --body-len: POS tags kept in bodies, or 'all' (default)")
    t.add_argument("--body-filters", type=int, help="with --body-len: the body's Conv1D filters (0: bag of words only)")
    t.add_argument("--bag-title-times", type=int, help="with --body-len: how often the title counts in the bag")
    t.add_argument("--wide", type=float,
                   help="the share of the output given to a TF-IDF + logistic regression branch fitted on the same "
                        "rows and tokens (0: none, the default; in-memory training only)")
    t.add_argument("--wide-c", type=float, help="with --wide: the logistic regression's C (default 10)")
    t.add_argument("--knn", type=float,
                   help="the share of the output given to the votes of the training questions nearest by TF-IDF "
                        "cosine (0: none, the default; with --wide, the two shares stay below 1; in-memory "
                        "training only)")
    t.add_argument("--knn-k", type=int, help="with --knn: how many nearest questions vote (default 100)")
    t.add_argument("--rarity", type=float,
                   help="take this share of each tag's log base rate out of its logit, so rarer tags rank higher "
                        "(0: none, the default; 0 to 1)")
    t.add_argument("--mention-title", type=float,
                   help="add this to the logit of every tag whose words are all in the title, e.g. cast-iron for "
                        "'cast iron pan' (0: none, the default; 0 to 5)")
    t.add_argument("--mention-body", type=float,
                   help="with --body-len: add this to the logit of every tag named anywhere in the title or the "
                        "body words read (0: none, the default; 0 to 5)")
    t.add_argument("--all-rows", action="store_true",
                   help="measure on the fixed split of --data (the twin, saved in OUT/split), then train on every row "
                        "with the epochs and threshold the split chose")
    t.add_argument("--overwrite", action="store_true")
    t.add_argument("--stream", action="store_true",
                   help="stream the data file through tf.data instead of loading it (for dumps that don't fit in "
                        "memory); prints a JSON line of statistics, peak memory included")
    t.add_argument("--workers", type=int, default=1,
                   help="train on this many local worker processes (MultiWorkerMirroredStrategy on 127.0.0.1; the "
                        "data file is streamed as with --stream, every epoch is trained, --batch-size is per "
                        "worker); prints a JSON line of statistics. 1: the single-process path")
    t.add_argument("--deadline", type=float, help="with --workers N: fail when the workers run longer than this many "
                                                  "seconds")
    t.add_argument("--max-steps", type=int, help="with --stream or --workers: cap the training batches per epoch")
    t.add_argument("--work-dir", help="with --stream or --workers: where the token spool (and the workers' shards "
                                      "and logs) go (default: a temporary folder)")
    t.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
