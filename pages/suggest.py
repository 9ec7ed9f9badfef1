"""Suggest: tags for one question (a title, and optionally its body), what the model read, and why; or tags for
a whole CSV."""

import altair as alt
import pandas as pd
import streamlit as st

from tagger.app import bodies, uploads
from tagger.text import tokens as tok
from tagger.ui import cached, navigation, safe, session

navigation.guard()  # first: a page opened on its own runs through app.py (see tagger/ui/navigation.py)

EXAMPLES = [
    "How long can I keep cooked rice in the fridge?",
    "Can I substitute baking soda for baking powder in pancakes?",
    "Why does my sourdough bread come out dense?",
    "What is this?",
]
SUGGESTED, BELOW = "suggested", "below the threshold"
UNKNOWN_WORDS = "The model knows none of these words, so it has no tags to suggest."


def use_example(title: str) -> None:
    st.session_state["suggest_title"] = title


def probability_chart(ranked: pd.DataFrame, threshold: float) -> alt.Chart:
    """Top-k tags as horizontal bars, the tags above the threshold coloured, the threshold a red line."""
    ranked = ranked.assign(status=[SUGGESTED if p >= threshold else BELOW for p in ranked.probability])
    bars = alt.Chart(ranked).mark_bar().encode(
        x=alt.X("probability:Q", scale=alt.Scale(domain=[0, 1]), title="probability"),
        y=alt.Y("tag:N", sort=None, title=None, axis=alt.Axis(labelLimit=220)),
        color=alt.Color("status:N", scale=alt.Scale(domain=[SUGGESTED, BELOW], range=["#1c83e1", "#b0b8c4"]),
                        legend=alt.Legend(title=None, orient="bottom")),
        tooltip=["tag", alt.Tooltip("probability:Q", format=".3f")],
    )
    labels = bars.mark_text(align="left", dx=4).encode(text=alt.Text("probability:Q", format=".2f"),
                                                        color=alt.value("#666"))
    rule = alt.Chart(pd.DataFrame({"threshold": [threshold]})).mark_rule(color="#e03e3e",
                     strokeDash=[5, 3], strokeWidth=2).encode(
        x="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", format=".2f")])
    return (bars + labels + rule).properties(height=alt.Step(28))


def contribution_chart(rows: pd.DataFrame, tag: str) -> alt.Chart:
    """For one tag: how much its probability falls when each kept token is dropped (`bodies.explained`
    numbers the words: one can occur twice, "baking soda for baking powder", and each is dropped alone)."""
    return alt.Chart(rows).mark_bar().encode(
        x=alt.X("contribution:Q", title="probability lost without the token"),
        y=alt.Y("word:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=160)),
        color=alt.condition("datum.contribution >= 0", alt.value("#1c83e1"), alt.value("#e07b39")),
        tooltip=["token", alt.Tooltip("contribution:Q", format="+.3f")],
    ).properties(title=tag, height=alt.Step(24))


def highlighted_title(views, limit: int | None = None) -> str:
    """The title as HTML: kept words highlighted, dropped ones greyed, POS tag beside each (hover: why)."""
    spans = []
    for v in views[:limit]:
        pos = f"<sub style='font-size:0.7em;opacity:0.75;margin-left:2px'>{safe.escape(v.pos)}</sub>"
        if v.kept:
            spans.append(f"<span title='{safe.escape(v.pos)}: kept as {safe.escape(v.token)}' style='background:"
                         "rgba(28,131,225,0.18);border-radius:4px;padding:2px 6px;font-weight:600'>"
                         f"{safe.escape(v.word)}{pos}</span>")
        else:
            spans.append(f"<span title='{safe.escape(v.pos)}: dropped ({safe.escape(v.reason)})' "
                         f"style='color:#9aa0a6;padding:2px 2px'>{safe.escape(v.word)}{pos}</span>")
    more = ""
    if limit and len(views) > limit:
        more = f" <span style='color:#9aa0a6'>… {len(views) - limit:,} more words</span>"
    return "<div style='font-size:1.15em;line-height:2.3'>" + " ".join(spans) + more + "</div>"


def keeps(config) -> str:
    """What a filter keeps, as a sentence fragment."""
    if config.pos_tags is None:
        return "this model reads every word except stop words (what, is, this, how…) and punctuation"
    note = " (nouns and gerunds, as in the original question)" if config.pos_tags == tok.DEFAULT_POS else ""
    return f"this model reads only words tagged {', '.join(config.pos_tags)}{note} that are not stop words"


def token_table(views) -> pd.DataFrame:
    return pd.DataFrame([{"word": v.word, "POS": v.pos, "model sees": v.token if v.kept else "",
                          "kept": v.kept, "why": v.reason} for v in views])


def show_suggestions(session_tagger) -> None:
    st.text_input("Question title", key="suggest_title", persist_state="session", max_chars=tok.MAX_TITLE_CHARS,
                  placeholder="e.g. How do I keep bread from going stale?",
                  help=f"At most {tok.MAX_TITLE_CHARS} characters; HTML is stripped.")
    with st.expander("Add the question body (optional)"):
        st.text_area("Question body", key="suggest_body", persist_state="session", max_chars=bodies.MAX_BODY_CHARS,
                     help=f"Plain text, Markdown or HTML, at most {bodies.MAX_BODY_CHARS:,} characters. Code blocks, "
                          "images and link addresses are dropped. A body is read by a model that reads titles "
                          "and bodies (its first words, up to the number it was trained on); a title-only model "
                          "ignores it.")
    title = st.session_state.get("suggest_title", "").strip()
    body = st.session_state.get("suggest_body", "").strip()
    choice = bodies.choose(cached.registry(), session_tagger.name, bool(title and body))
    tagger = cached.load_tagger(choice.name) if choice.switched else session_tagger

    controls = st.columns(2)
    k = controls[0].slider("How many tags to show (k)", 1, 15, 5, key="suggest_k", persist_state="session")
    threshold = controls[1].slider(
        "Decision threshold", 0.0, 1.0, float(round(tagger.threshold, 2)), 0.01, key=f"suggest_threshold_{tagger.name}",
        help=f"Tags at or above this probability are the answer. {tagger.name} was tuned to "
             f"{tagger.threshold:.2f} (best micro-F1 on its validation questions).")

    if not title:
        st.info("Enter a question title above, or try an example:")
        for col, example in zip(st.columns(len(EXAMPLES)), EXAMPLES, strict=False):
            col.button(example, on_click=use_example, args=(example,), width="stretch")
        return
    if choice.reason:
        (st.warning if choice.body_ignored else st.info)(safe.plain(choice.reason))

    views = tagger.analyze(title)
    body_views = tagger.analyze_body(body) if tagger.uses_body else []
    kept = [v.token for v in views if v.kept]
    body_kept = [v.token for v in body_views if v.kept]
    if not kept and not body_kept:
        st.warning("The model sees no tokens in this question, so it has no tags to suggest.")
        st.markdown(f"**Why:** {keeps(tagger.config)}, and every word here was dropped:")
        st.dataframe(token_table(views), hide_index=True)
        st.caption("Rephrase with the food, the dish or the technique, e.g. “How do I store fresh basil?”")
        return
    if not tagger.known(kept + body_kept):
        st.warning(UNKNOWN_WORDS)
        st.markdown("**Why:** none of the words it kept (below) occurred in the questions it learned from. Without "
                    "a word it knows, it could only repeat how common each tag is.")
        st.dataframe(token_table(views), hide_index=True)
        st.caption("Try the words a cook would use in English, e.g. “How do I store fresh basil?”")
        return

    probabilities = tagger.predict_proba([kept], [body_kept] if tagger.uses_body else None)[0]
    ranked = pd.DataFrame(tagger.ranked(probabilities, k), columns=["tag", "probability"])
    answer = ranked[ranked.probability >= threshold].tag.tolist()
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.subheader("Suggested tags")
        if answer:
            st.html(" ".join(f"<span style='display:inline-block;background:#1c83e1;color:white;border-radius:"
                             f"12px;padding:3px 12px;margin:2px;font-weight:600'>{safe.escape(t)}</span>"
                             for t in answer))
        else:
            st.info(f"No tag reaches the threshold of {threshold:.2f}; the best guesses are in the chart.")
        st.altair_chart(probability_chart(ranked, threshold), width="stretch")
        st.caption(bodies.chart_caption(tagger.hparams))
        if named := tagger.named_tags(kept, body_kept):
            st.caption(bodies.named_caption(named))
    with right:
        st.subheader("What the model saw")
        st.html(highlighted_title(views))
        st.caption(f"Highlighted words are kept ({tagger.config.label}); grey words are dropped. "
                   "Hover a word to see why.")
        st.dataframe(token_table(views), hide_index=True, width="stretch")
        if tagger.uses_body and body_views:
            st.markdown("**In the body**")
            st.html(highlighted_title(body_views, limit=400))
            st.caption(f"{len(body_kept)} body words kept (body filter: {tagger.body_config.label}; the model reads "
                       f"at most the first {tagger.body_len} it keeps) out of {len(body_views)} words.")
            st.dataframe(token_table(body_views), hide_index=True, width="stretch", key="suggest_body_tokens")

    st.subheader("Why these tags")
    explained = answer[:3] or ranked.tag.head(3).tolist()
    st.caption("For each tag: drop one kept word, score again, and see how much the probability falls. "
               "Long blue bars are the words the tag rests on; orange ones argue against it."
               + (" Every title word is shown, and the body words that move the tag most." if body_kept else ""))
    contributions = tagger.contributions(kept, explained, body_kept if tagger.uses_body else None)
    for col, tag in zip(st.columns(len(explained)), explained, strict=False):
        col.altair_chart(contribution_chart(bodies.explained(contributions, tag), tag), width="stretch")


def show_batch(session_tagger) -> None:
    st.subheader("Suggest tags for a CSV of titles")
    st.caption(f"Upload a UTF-8 CSV with a `title` column and, optionally, a `body` column (other columns are "
               f"kept). Up to {uploads.MAX_ROWS:,} titles and {uploads.MAX_BYTES // 1_000_000} MB per file; each body "
               f"is cut at {bodies.MAX_BODY_CHARS:,} characters. Uploaded files are not stored.")
    upload = st.file_uploader("CSV file", key="batch_file", max_upload_size=max(1, uploads.MAX_BYTES // 1_000_000))
    batch_k = st.slider("Tags per title (k)", 1, 10, 3, key="batch_k")
    if upload is None:
        return
    try:
        rows = uploads.read_titles(upload.getvalue())
    except uploads.UploadError as e:
        st.error(str(e))
        return
    choice = bodies.choose(cached.registry(), session_tagger.name, uploads.has_bodies(rows))
    tagger = cached.load_tagger(choice.name) if choice.switched else session_tagger
    if choice.reason:
        (st.warning if choice.body_ignored else st.info)(safe.plain(choice.reason))
    with st.spinner(f"Tagging {len(rows):,} titles…"):
        result = uploads.suggest_all(tagger, rows, batch_k)
    no_tokens = int((result["tokens"] == "").sum())
    st.success(f"Suggested tags for {len(result):,} titles"
               + (f" ({no_tokens:,} had no words the model keeps)." if no_tokens else "."))
    st.dataframe(result, hide_index=True, width="stretch")
    st.download_button("Download suggestions as CSV", uploads.to_csv_bytes(result),
                       file_name="tag-suggestions.csv", mime="text/csv", type="primary")


st.title("Suggest tags")
st.caption("Type a cooking question and the model suggests cooking.stackexchange tags for it. "
           "It reads only the words its filter keeps, shown below.")
tagger = session.tagger_or_stop()
st.caption(f"Model: {tagger.name} · keeps {tagger.config.label} · {len(tagger.tags):,} tags. "
           "Change it in the sidebar.")
single, batch = st.tabs(["One question", "Batch (CSV)"])
with single:
    show_suggestions(tagger)
with batch:
    show_batch(tagger)
