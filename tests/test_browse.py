"""The question browser's table: the model's tags above its threshold and the verdict per question."""

import numpy as np
import pandas as pd

from tagger.app import browse


def test_question_table_verdicts_and_search():
    questions = pd.DataFrame({"id": [1, 2, 3, 4], "title": ["Bread rising", "Egg whites", "What is this?", "Salt"],
                              "tags": [["bread"], ["eggs"], ["equipment"], ["salt"]]})
    tokens = [["bread", "rising"], ["egg", "whites"], [], ["salt"]]
    probs = np.array([[0.9, 0.1, 0.6], [0.8, 0.3, 0.1], [0.9, 0.9, 0.9], [0.2, 0.1, 0.3]])
    table = browse.question_table(questions, tokens, ["bread", "eggs", "baking"], probs, threshold=0.5)
    assert table["model tags"].tolist() == [["bread", "baking"], ["bread"], [], []]
    assert table.result.tolist() == [browse.HIT, browse.MISS, browse.NO_TOKENS, browse.SILENT]
    assert browse.search(table, "EGG").id.tolist() == [2]
    assert browse.search(table, tag="salt").id.tolist() == [4]
    assert browse.search(table, result=browse.MISS).id.tolist() == [2]
    rows, pages = browse.page(table, 9, 3)
    assert pages == 2 and rows.id.tolist() == [4]  # a page past the end shows the last one
