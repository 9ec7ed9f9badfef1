"""Tokens: real questions as the model sees them, what the filter costs, and a quiz to feel it yourself."""

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from tagger.app import browse, model_report, quiz
from tagger.ui import cached, crowd as crowd_ui, navigation, safe, session

navigation.guard()  # first: a page opened on its own runs through app.py (see tagger/ui/navigation.py)

PAGE_SIZE = 25
ANY_TAG, ANY_RESULT = "Any tag", "Any result"
ALL_WORDS = "all words"  # the name of the keep-everything filter in tokens.FILTERS


def scored_by(tagger, scorer) -> str:
    """Which model's tags the page shows, in words."""
    if scorer.is_twin:
        return (f"{tagger.name}'s split-trained twin (the same recipe trained on the first "
                f"{scorer.metadata['training_data']['rows']:,} questions only)")
    return tagger.name


def show_browser(tagger, questions: pd.DataFrame) -> None:
    # A model trained on every question has seen them all: its twin, which has not, shows the tags.
    scorer = cached.load_tagger(tagger.name, twin=True)
    table = cached.question_table(scorer)
    counts = browse.tag_counts(questions)
    search, tag_col, result_col = st.columns([3, 2, 2])
    text = search.text_input("Search titles", key="browse_text", persist_state="session", placeholder="e.g. sourdough")
    tag = tag_col.selectbox("True tag", [ANY_TAG, *counts.index], key="browse_tag", persist_state="session",
                            format_func=lambda t: t if t == ANY_TAG else f"{t} ({counts[t]:,})")
    result = result_col.selectbox("Model's result", [ANY_RESULT, *browse.RESULTS],
                                  key="browse_result", persist_state="session",
                                  help="hit: at least one of the model's tags is a true tag.")
    found = browse.search(table, text, None if tag == ANY_TAG else tag, None if result == ANY_RESULT else result)
    if found.empty:
        st.info("No question matches. Clear the search or pick another tag.")
        return
    held_out, _ = model_report.evaluation_rows(scorer.metadata, questions)
    rates = browse.hit_rates(found, held_out.id)
    hits = []
    if rates.held_out is not None:
        hits.append(f"{rates.held_out:.0%} of the {rates.held_out_rows:,} of these it never saw")
    if rates.trained is not None:
        hits.append(f"{rates.trained:.0%} of the {rates.trained_rows:,} it trained on (optimistic)")
    st.caption(f"{len(found):,} of {len(table):,} questions. Tags by {scored_by(tagger, scorer)}: it hits on "
               + " and on ".join(hits) + ". A hit: at least one of its tags is a true tag.")
    n_pages = browse.page(found, 1, PAGE_SIZE)[1]
    # A new search starts again at page 1: the widget's key changes with the search.
    number = st.pagination(n_pages, key=f"browse_page|{text}|{tag}|{result}|{tagger.name}") if n_pages > 1 else 1
    rows, _ = browse.page(found, number, PAGE_SIZE)
    st.dataframe(rows, hide_index=True, width="stretch", column_config={
        "id": st.column_config.NumberColumn("id", format="%d", width="small"),
        "title": st.column_config.TextColumn("title", width="large"),
        "tokens": st.column_config.ListColumn("tokens the model sees"),
        "true tags": st.column_config.ListColumn("true tags"),
        "model tags": st.column_config.ListColumn("model's tags"),
        "result": st.column_config.TextColumn("result"),
    })
    st.caption(f"Page {number} of {n_pages:,}, {PAGE_SIZE} questions a page.")


def filter_chart(comparison: pd.DataFrame) -> alt.Chart:
    long = comparison.melt(id_vars="filter", value_vars=["empty_share", "tag_word_share"],
                           var_name="measure", value_name="share")
    long["measure"] = long.measure.map({"empty_share": "titles left with no tokens",
                                        "tag_word_share": "true tags whose words are kept"})
    return alt.Chart(long).mark_bar().encode(
        y=alt.Y("filter:N", sort=None, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("share:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1]), title=None),
        color=alt.Color("measure:N", scale=alt.Scale(range=["#f0a030", "#1c83e1"]),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=300)),
        yOffset="measure:N",
        tooltip=["filter", "measure", alt.Tooltip("share:Q", format=".1%")],
    ).properties(height=alt.Step(22))


def show_filter_cost(tagger) -> None:
    comparison = cached.filter_comparison(tagger.config)
    mine = comparison[comparison["model's filter"]].iloc[0]
    # Compare with keeping every word; a model that already keeps every word is compared with the
    # original question's nouns-and-gerunds filter instead.
    everything = comparison[comparison["filter"] == ALL_WORDS].iloc[0]
    reference = everything if mine["filter"] != ALL_WORDS else comparison.iloc[0]
    short = "all words" if reference is everything else "nouns + gerunds"
    st.caption(f"{tagger.name} keeps {tagger.config.label}. Measured over all {len(cached.questions()):,} questions "
               f"and compared with {reference['filter']} (stop words and punctuation are dropped either way).")
    a, b, c, d = st.columns(4)
    a.metric("Vocabulary with this model's filter", f"{mine.vocabulary:,}",
             f"{mine.vocabulary - reference.vocabulary:+,} vs {short}", delta_color="off")
    b.metric(f"Vocabulary with {short}", f"{reference.vocabulary:,}")
    c.metric("Titles left with no tokens", f"{mine.empty_share:.1%}",
             f"{(mine.empty_share - reference.empty_share) * 100:+.1f} pts vs {short}", delta_color="inverse")
    d.metric("True tags whose words are kept", f"{mine.tag_word_share:.1%}",
             f"{(mine.tag_word_share - reference.tag_word_share) * 100:+.1f} pts vs {short}")
    st.subheader("Filters compared")
    st.altair_chart(filter_chart(comparison), width="stretch")
    st.dataframe(comparison.rename(columns={
        "empty_share": "no tokens", "tag_word_share": "tag words kept",
        "mean_tokens": "tokens per title"}), hide_index=True, width="stretch", column_config={
        "no tokens": st.column_config.NumberColumn(format="percent"),
        "tag words kept": st.column_config.NumberColumn(format="percent"),
        "tokens per title": st.column_config.NumberColumn(format="%.2f"),
    })
    st.caption("“Tag words kept”: a true tag counts when every word of it (baking-soda → baking, soda) is among "
               "the title's kept tokens. A filter that drops those words makes the model guess from context.")


def new_round(pool: pd.DataFrame, choice: str) -> None:
    board: quiz.Scoreboard = st.session_state["quiz_board"]
    rng = st.session_state.setdefault("quiz_rng", np.random.default_rng())
    row = pool.iloc[quiz.pick(len(pool), rng, board.asked)]
    st.session_state["quiz_round"] = quiz.Round(
        row=int(row.name), mode=quiz.mode_for(choice, rng), question_id=int(row.id), title=row.title,
        tokens=list(row.tokens), true_tags=list(row["true tags"]), model_tags=list(row["model tags"]))
    st.session_state["quiz_guess"] = []  # set, not deleted: the browser's widget empties too
    st.session_state.pop("quiz_saved", None)


def badges(words, colour="#1c83e1") -> str:
    return " ".join(f"<span style='display:inline-block;border:1px solid {colour};color:{colour};border-radius:"
                    f"12px;padding:2px 10px;margin:2px'>{safe.escape(w)}</span>" for w in words)


def check(rnd: quiz.Round, model: str) -> None:
    # The guess as the widget holds it now, not as it was when the button was drawn.
    guess = st.session_state.get("quiz_guess") or []
    if not guess or rnd.answered:
        return
    st.session_state["quiz_board"].answer(rnd, guess)
    st.session_state["quiz_saved"] = quiz.save(crowd_ui.store(), rnd, crowd_ui.session_key(), model)


def show_quiz(questions: pd.DataFrame) -> None:
    ref = quiz.reference_model(cached.registry())
    if ref is None:
        st.warning("The sense-check compares you with the shipped model that sees exactly the question's tokens "
                   "(nouns and gerunds), and this server has none. Restore models/ from the repository.")
        return
    try:
        model = cached.load_model(ref)
    except cached.Unavailable as e:
        st.error(safe.plain(e))
        return
    table = cached.question_table(model)
    pool = quiz.pool(table, questions)
    name = quiz.model_label(ref.name, model)
    st.caption(safe.plain(
        f"The question's network only ever saw a title's nouns and gerunds (NN, NNS, VBG). Could you tag a question "
        f"from those tokens alone? Each question is shown either as those tokens or as the whole title, at random, "
        f"so both get a fair share. Your tags and those of {name}, the shipped model that sees exactly these "
        f"tokens, are scored against the true tags: F1 per question, 1 = exactly the true tags. Questions come from "
        f"the {len(pool):,} that {name} never trained on; this is the same test whichever model you picked in "
        "the sidebar."))
    if st.session_state.get("quiz_model") != name:
        # Scores compare the person with one model: another model starts a fresh scoreboard.
        st.session_state.update(quiz_model=name, quiz_board=quiz.Scoreboard(), quiz_round=None)
    board = st.session_state["quiz_board"]
    choice = st.radio("Show each question as", quiz.CHOICES, key="quiz_mode", persist_state="session",
                      horizontal=True, help="Mixed at random: each question flips a coin between tokens only "
                                            "and the whole title. Pick one to see only that.")
    rnd = st.session_state.get("quiz_round")
    if rnd is None or not quiz.fits(choice, rnd.mode):
        new_round(pool, choice)
        rnd = st.session_state["quiz_round"]

    number = sum(t.questions for t in board.tallies.values()) + (0 if rnd.answered else 1)
    st.markdown(f"**Question {number} ({rnd.mode.lower()})**")
    if rnd.mode == quiz.MODES[0]:
        if rnd.tokens:
            st.html(badges(rnd.tokens))
        else:
            st.info("The filter dropped every word of this title: the model sees nothing. Guess anyway!")
    else:
        st.text(rnd.title)

    all_tags = browse.tag_counts(questions).index.tolist()
    guess = st.multiselect("Your tags", all_tags, key="quiz_guess", max_selections=5, disabled=rnd.answered,
                           placeholder="Type to search the tags", help="Most frequent tags first; pick 1 to 5.")
    if not rnd.answered:
        st.button("Check my tags", type="primary", disabled=not guess, on_click=check, args=(rnd, name))
    else:
        mine, theirs = quiz.f1(rnd.guess, rnd.true_tags), quiz.f1(rnd.model_tags, rnd.true_tags)
        stored, message = st.session_state.get("quiz_saved") or (False, "")
        if message:
            (st.caption if stored else st.warning)(safe.plain(message))
        st.text(f"Title: {rnd.title}")
        cols = st.columns(3)
        cols[0].markdown("**True tags**")
        cols[0].html(badges(rnd.true_tags, "#21a356"))
        cols[1].markdown(f"**Your tags** · F1 {mine:.2f}")
        cols[1].html(badges(rnd.guess))
        cols[2].markdown(f"**{safe.plain(name)}'s tags** · F1 {theirs:.2f}")
        cols[2].html(badges(rnd.model_tags, "#9b59b6") if rnd.model_tags else "<em>nothing above its threshold</em>")
        if mine > theirs:
            st.success(f"You beat the model on this one ({mine:.2f} vs {theirs:.2f}).")
        elif mine == theirs:
            st.info(f"A tie: both scored {mine:.2f}.")
        else:
            st.warning(f"The model wins this one ({theirs:.2f} vs your {mine:.2f}).")
        st.button("Next question", on_click=new_round, args=(pool, choice), type="primary")

    st.subheader("Your score (this session)")
    st.dataframe(pd.DataFrame([
        {"mode": m, "questions": t.questions, "your mean F1": t.person_mean, f"{name} mean F1": t.model_mean}
        for m, t in board.tallies.items()]), hide_index=True, width="stretch",
        column_config={c: st.column_config.NumberColumn(format="%.2f")
                       for c in ("your mean F1", f"{name} mean F1")})
    st.subheader("Everyone's answers")
    crowd_ui.draw_aggregate("tokens")


st.title("Tokens")
st.caption("The model never reads a whole title: a part-of-speech filter keeps only some words. "
           "Browse real questions as the model sees them, see what the filter costs, and test yourself.")
tagger = session.tagger_or_stop()
questions = session.questions_or_stop()
browser, cost, sense_check = st.tabs(["Browse questions", "Filter cost", "Sense-check quiz"])
with browser:
    show_browser(tagger, questions)
with cost:
    show_filter_cost(tagger)
with sense_check:
    show_quiz(questions)
