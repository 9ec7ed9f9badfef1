"""Story: from the original network stuck at 6 % to the fix, in plain words, with the project's own numbers."""

import altair as alt
import pandas as pd
import streamlit as st

from tagger.app import jobs, story as st_story
from tagger.model.replay import ReplaySettings
from tagger.ui import cached, crowd as crowd_ui, navigation, safe, session

navigation.guard()  # first: a page opened on its own runs through app.py (see tagger/ui/navigation.py)

pct, score = st_story.pct, st_story.score


def accuracy_chart(history, original: float) -> alt.Chart:
    frame = st_story.epochs_frame(history)
    lines = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1), scale=alt.Scale(domainMin=1), title="epoch"),
        y=alt.Y("accuracy:Q", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 0.5]),
                title="Keras's accuracy"),
        color=alt.Color("rows:N", title=None, legend=alt.Legend(orient="top")),
        tooltip=["epoch", "rows", alt.Tooltip("accuracy:Q", format=".1%")])
    rule = alt.Chart(pd.DataFrame({"accuracy": [original], "label": ["the question's 6 %"]})).mark_rule(
        color="#e03e3e", strokeDash=[5, 3], strokeWidth=2).encode(y="accuracy:Q", tooltip=["label"])
    label = rule.mark_text(align="left", dx=4, dy=-8, color="#e03e3e").encode(
        x=alt.value(0), text="label:N")
    return (lines + rule + label).properties(height=280)


def models_chart(story: dict) -> alt.Chart:
    frame = st_story.models_frame(story)
    base = alt.Chart(frame).encode(
        y=alt.Y("model:N", sort=alt.SortField("order"), title=None, axis=alt.Axis(labelLimit=420)),
        x=alt.X("value:Q", scale=alt.Scale(domain=[0, 1]), title=None),
        yOffset="measure:N")
    bars = base.mark_bar().encode(
        color=alt.Color("measure:N", scale=alt.Scale(range=["#1c83e1", "#f0a030"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=["model", "measure", alt.Tooltip("value:Q", format=".3f")])
    labels = base.mark_text(align="left", dx=3, color="#444").encode(text=alt.Text("value:Q", format=".3f"))
    return (bars + labels).properties(height=alt.Step(16))


def show_replay(story: dict) -> None:
    replay = story["replay"]
    settings = replay["settings"]
    st.header("1. The original network, replayed")
    st.markdown(
        f"The question's recipe: keep only the nouns and gerunds of each title (words like *bread* or *baking*), "
        f"count those words, and feed the counts to a single layer of a neural network with one output per "
        f"tag word ({replay['target_columns']:,} of them here). The outputs share one unit of probability between "
        f"them (a *softmax*), and training pushes that probability towards the question's tags (*categorical "
        f"cross-entropy*). Two thirds of the {replay['train_rows'] + replay['test_rows']:,} questions train it and "
        f"one third is held back to test it, split exactly as in the question. Its score is Keras's *accuracy*.")
    a, b, c = st.columns(3)
    a.metric("The question's accuracy", pct(replay["original_accuracy"]), help="As the question reported it.")
    b.metric("Replayed here: accuracy on the held-out third", pct(replay["accuracy"]))
    c.metric("Replayed here: accuracy on its training rows", pct(replay["train_accuracy"]))
    st.altair_chart(accuracy_chart(replay["epochs"], replay["original_accuracy"]), width="stretch")
    other = replay.get("other_optimizer")
    other_line = ""
    if other:
        other_line = (f" With plain {other['settings']['optimizer'].upper()} (Keras's other default, learning rate "
                      f"{other['settings']['learning_rate']:g}) the same replay reads {pct(other['accuracy'])} on "
                      f"the held-out third, much closer to the question's 6 %: the question may well have used it.")
    st.markdown(
        f"**What the question didn't say.** It named no optimizer and no number of epochs. We chose "
        f"{settings['optimizer'].capitalize()} at learning rate {settings['learning_rate']:g} and "
        f"{settings['epochs']} epochs, batch size {settings['batch_size']} as in the question; the replay took "
        f"{replay['seconds']:.0f} s.{other_line} Whichever it was, the number says little about tagging, as the "
        "next part shows.")
    show_live_replay(story)


# --- the live replay -----------------------------------------------------------------------------
def live_progress(job: jobs.BackgroundJob) -> None:
    snap = job.snapshot()
    st.progress(min(snap.fraction, 1.0), text=f"{snap.phase} · batch {snap.batch} of {snap.batches or '…'} · "
                                              f"{snap.elapsed:.0f} s")
    if job.owned_by(session.session_id()):  # only the session that started it may stop it
        st.button("Stop the replay", on_click=job.stop_for, args=(session.session_id(),), disabled=snap.message != "")
    if snap.history:
        st.altair_chart(accuracy_chart(snap.history, st_story.ORIGINAL_ACCURACY), width="stretch")


@st.fragment(run_every=1.0)
def watch(job: jobs.BackgroundJob) -> None:
    """Redraws the live replay every second; a full rerun when it ends shows the result."""
    if job.running:
        live_progress(job)
    else:
        st.rerun()


def live_result(job: jobs.BackgroundJob, story: dict) -> None:
    snap = job.snapshot()
    if snap.status != jobs.DONE:
        (st.warning if snap.status == jobs.STOPPED else st.error)(safe.plain(snap.message))
        return
    final = job.result.final
    st.success(f"Replayed live in {snap.elapsed:.0f} s: {pct(final.get('val_accuracy', 0.0))} accuracy on the "
               f"held-out third after {len(snap.history)} epochs (the stored run: {pct(story['replay']['accuracy'])}). "
               "Training is not bit-for-bit repeatable on a shared server, so the last digit may differ.")
    st.altair_chart(accuracy_chart(snap.history, st_story.ORIGINAL_ACCURACY), width="stretch")


def start_replay(story: dict) -> None:
    try:
        questions = cached.questions()
        job = jobs.start_replay(questions, ReplaySettings(**story["replay"]["settings"]),
                                owner=session.session_id())
    except (jobs.JobBusy, ValueError, TypeError, cached.Unavailable) as e:
        session.flash(str(e), "error")
        return
    st.session_state["story_replay"] = job


def show_live_replay(story: dict) -> None:
    mine: jobs.BackgroundJob | None = st.session_state.get("story_replay")
    other = jobs.running()
    if other is not None and not other.owned_by(session.session_id()):
        if other.kind == jobs.REPLAY:
            st.info("Another visitor is replaying the original network right now; watch it here.")
            watch(other)
        else:
            st.info("A model is being trained on this server right now; the live replay opens again when it ends.")
        return
    running = mine is not None and mine.running
    st.button("Replay it live now", type="primary", disabled=running, on_click=start_replay, args=(story,),
              help="Re-runs step 1 on this server with the settings above: one run at a time per server.")
    session.show_flash()
    if running:
        watch(mine)
    elif mine is not None:
        live_result(mine, story)


# --- what was wrong, the fix, the filter ---------------------------------------------------------
def show_wrong(story: dict) -> None:
    wrong = story["wrong"]
    st.header("2. What was wrong")
    st.subheader("Softmax makes a question's tags compete")
    st.markdown("A softmax output shares one unit of probability between all outputs, so a question's tags compete "
                "for it: with three tags, at most one can get more than a half, and they can't all get more than "
                "a third. A *sigmoid* output gives every tag its own yes-or-no probability instead.")
    example = wrong.get("softmax")
    if example:
        st.markdown(f"The held-out question with three tags that the fixed network was surest of, all three "
                    f"together (id {example['id']}), and what each network gives its tags:")
        st.text(example["title"])
        st.dataframe(pd.DataFrame({"tag": example["tags"], "softmax (the original)": example["softmax"],
                                   "sigmoid (the fix)": example["sigmoid"]}), hide_index=True,
                     column_config={c: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("softmax (the original)", "sigmoid (the fix)")})
        st.markdown(f"Over all {example['questions']:,} such held-out questions, the original gave each true tag "
                    f"a probability of {example['softmax_mean']:.3f} on average, the fixed network "
                    f"{example['sigmoid_mean']:.3f}.")
    acc = wrong["accuracy"]
    top = acc["most_common_top"]
    piece = ""
    if not top.get("is_a_tag", True) and top.get("piece_of"):
        named = ", ".join(f"*{safe.plain(t)}*" for t in top["piece_of"])
        others = top.get("piece_of_tags", 0) - len(top["piece_of"])
        piece = f", which is not a tag at all but a piece of {named}" + (f" and {others} other tags" if others else "")
    st.subheader("Keras's accuracy is not a tagging measure")
    st.markdown(
        f"With several targets per question, Keras's *accuracy* only checks whether the top output is one "
        f"particular target: the first of the largest. On the replay's held-out third, the top output was one of "
        f"the question's targets for {pct(acc['top_is_a_target'])} of questions, but Keras counted "
        f"{pct(acc['keras_accuracy'])}: {pct(acc['counted_wrong'])} were marked wrong although the top guess was "
        f"right. The original's most common top output was *{safe.plain(top['output'])}*, for "
        f"{pct(top['share'])} of questions{piece}. The fixed network shows the gap too: Keras would "
        f"report {pct(acc['fixed']['keras_accuracy'])}, while its top tag is a true tag "
        f"{pct(acc['fixed']['p_at_1'])} of the time (P@1).")
    split = wrong["tag_split"]
    st.subheader("A hidden bug: tags split into words")
    st.markdown(
        f"CountVectorizer reads a tag string like a sentence, so *baking-soda* becomes two targets, *baking* and "
        f"*soda*, and a tag made only of stop words disappears. {split['tags_not_a_column']:,} of the "
        f"{split['real_tags']:,} real tags are not a target of their own. The network learned word pieces, not tags.")
    a, b, c, d = st.columns(4)
    a.metric("Target columns", f"{split['target_columns']:,}")
    b.metric("Real tags", f"{split['real_tags']:,}")
    c.metric("Targets per question", f"{split['targets_per_question']:.1f}")
    d.metric("Real tags per question", f"{split['tags_per_question']:.1f}")
    st.dataframe(pd.DataFrame([{"tag": e["tag"], "becomes": ", ".join(e["columns"]) or "(nothing)",
                                "questions": e["questions"]} for e in split["examples"]]), hide_index=True)


def show_fix(story: dict) -> None:
    fix = story["fix"]
    fixed, original = st_story.model(story, "fixed"), st_story.model(story, "original")
    best = st_story.best_model(story)
    st.header("3. The fix")
    st.markdown(
        f"Give every tag its own output with its own yes-or-no probability (*sigmoid* with *binary cross-entropy*), "
        f"and build the targets from the real tags (scikit-learn's MultiLabelBinarizer) instead of counting words. "
        f"Every model below trained on the project's first {fix['train_rows']:,} questions and is scored on the "
        f"same {fix['test_rows']:,} held-out ones. **P@1**: how often the top suggestion is a true tag. **R@5**: "
        "the share of true tags found among the top five suggestions.")
    a, b, c = st.columns(3)
    a.metric("The fixed network's P@1", score(fixed["p_at_1"]))
    b.metric("The original network's P@1", score(original["p_at_1"]), help="Its top word, compared with the tags.")
    c.metric("The best here", score(best["p_at_1"]), help=best["name"])
    st.altair_chart(models_chart(story), width="stretch")
    conv, tfidf = st_story.model(story, "conv1d"), st_story.model(story, "tfidf")
    st.markdown(f"The best here is *{safe.plain(best['name'])}* (P@1 {score(best['p_at_1'])}). On the question's own "
                f"tokens, the Conv1D scores {score(conv['p_at_1'])} and the TF-IDF baseline {score(tfidf['p_at_1'])}. "
                "That baseline is a plain linear model over the same tokens: the honest yardstick, since a network "
                "that can't beat it isn't earning its keep.")


def show_filter(story: dict) -> None:
    nouns, everything = (st_story.filter_row(story, label) for label in (st_story.NOUNS.label,
                                                                         st_story.ALL_WORDS.label))
    st.header("4. What the filter costs")
    if not nouns or not everything:
        st.info("This story has no filter comparison.")
        return
    st.markdown("The question kept only nouns and gerunds. The same Conv1D, trained once on those and once on every "
                "word (stop words aside), on the same questions:")
    a, b, c = st.columns(3)
    a.metric("P@1 with nouns + gerunds", score(nouns["p_at_1"]),
             f"{nouns['p_at_1'] - everything['p_at_1']:+.3f} vs all words")
    b.metric("Titles left with no tokens", pct(nouns["empty_share"]), f"all words: {pct(everything['empty_share'])}",
             delta_color="off", delta_arrow="off")
    c.metric("True tags with a word not kept", pct(nouns["tag_words_dropped"]),
             f"all words: {pct(everything['tag_words_dropped'])}", delta_color="off", delta_arrow="off")
    st.markdown("A true tag counts here when one of its words is not among the title's tokens (*baking-soda* needs "
                "both *baking* and *soda*): the filter dropped it, or the title never had it. Could people do better "
                "from the same tokens?")
    st.page_link("pages/tokens.py", label="Try the sense-check yourself (Tokens page, last tab)",
                 icon=":material/quiz:")


st.title("The story")
st.caption("Cooking Tagger began with a question: a small network reading cooking.stackexchange titles was stuck "
           "at about 6 % accuracy. This page walks from that failure to the fix. Every number here comes from "
           "running this project's code on its data (`python -m tagger story`), except the 6 %, which is what "
           "the question reported.")
try:
    numbers = cached.story_numbers()
except cached.Unavailable as e:
    st.error(safe.plain(e))
    st.stop()
data = numbers["data"]
st.caption(safe.plain(f"Computed on {data['rows']:,} questions ({data['source'] or 'the data'}), "
                      f"{numbers['created_at'][:10]}."))
show_replay(numbers)
show_wrong(numbers)
show_fix(numbers)
show_filter(numbers)
st.header("5. What people say")
st.markdown("The sense-check quiz shows visitors real held-out questions, either as the filtered tokens or as the "
            "whole title, and scores their tags like the model's. If people do much worse on the tokens than on the "
            "whole title, the filter threw away what a reader needs.")
crowd_ui.draw_aggregate("story")
