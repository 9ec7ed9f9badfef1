"""Generated Stack Exchange `Posts.xml` dumps of any size, for the streaming and scaling benchmarks and
their tests: `python -m bench.synthetic --n 100000 --out /tmp/Posts.xml`."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from xml.sax.saxutils import quoteattr

from bench.titles import recombine
from tagger.data import loaders


def write_synthetic_posts(out, n: int, source=None, seed: int = 0, answers_every: int = 4) -> Path:
    """Write a Posts.xml with `n` questions made by recombining real titles, streaming to disk.

    Each question joins the first half of one real title with the second half of another and
    takes the first title's tags (plus, sometimes, one of the second's); every `answers_every`-th
    question is followed by an answer row, which the loader must skip. Only the ~12k source rows
    are held in memory, whatever `n` is.
    """
    src = loaders.default_data_path(source)
    if src is None:
        raise ValueError("no source data for the synthetic dump: pass source or set TAGGER_DATA")
    df = loaders.load_questions(src)
    words = [t.split() for t in df.title]
    tag_lists = df.tags.tolist()
    rng = random.Random(seed)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    post_id = 0
    with open(out, "w", encoding="utf-8") as f:
        f.write('<?xml version="1.0" encoding="utf-8"?>\n<posts>\n')
        for q in range(n):
            a, b, title = recombine(words, rng)
            tags = list(tag_lists[a])
            if rng.random() < 0.3 and tag_lists[b][0] not in tags:
                tags.append(tag_lists[b][0])
            post_id += 1
            qid = post_id
            f.write(f'  <row Id="{qid}" PostTypeId="1" Title={quoteattr(title)} '
                    f'Tags={quoteattr("".join(f"<{t}>" for t in tags[:5]))} Body="" />\n')
            if answers_every and q % answers_every == 0:
                post_id += 1
                f.write(f'  <row Id="{post_id}" PostTypeId="2" ParentId="{qid}" Body="&lt;p&gt;answer&lt;/p&gt;" />\n')
        f.write("</posts>\n")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, required=True, help="questions to write")
    p.add_argument("--out", required=True)
    p.add_argument("--source", help="questions to recombine (default: TAGGER_DATA, else the shipped data)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    start = time.perf_counter()
    out = write_synthetic_posts(args.out, args.n, args.source, args.seed)
    print(json.dumps({"path": str(out), "questions": args.n, "mb": round(out.stat().st_size / 2**20, 1),
                      "seconds": round(time.perf_counter() - start, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
