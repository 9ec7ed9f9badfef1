"""Retrain: pick a slice of the questions and the hyperparameters, watch a model train, compare and save it."""

import dataclasses
import datetime as dt

import altair as alt
import pandas as pd
import streamlit as st

from tagger.app import browse, jobs, slices
from tagger.data import loaders
from tagger.data.split import fingerprint
from tagger.model.network import HParams
from tagger.store.registry import QuotaExceeded, RegistryError
from tagger.text import tokens as tok
from tagger.ui import cached, navigation, safe, session

navigation.guard()  # first: a page opened on its own runs through app.py (see tagger/ui/navigation.py)

CUSTOM_POS = "custom POS tags…"
OUTPUTS = {
    "sigmoid + binary cross-entropy (one yes/no per tag)": "sigmoid",
    "softmax + categorical cross-entropy (as in the original question)": "softmax",
}
TAG_LIMITS = ("All tags", "Tags with at least N questions", "Top N tags")
METRIC_NAMES = {"p_at_1": "P@1", "p_at_5": "P@5", "r_at_5": "R@5", "micro_f1": "micro-F1",
                "macro_f1": "macro-F1", "n": "questions"}


def choose_slice(questions: pd.DataFrame) -> slices.SliceSpec:
    counts = browse.tag_counts(questions)
    label = lambda t: f"{t} ({counts[t]:,})"  # noqa: E731
    left, right = st.columns(2)
    include = left.multiselect("Only questions with any of these tags", counts.index,
                               key="slice_include", persist_state="session",
                               format_func=label, placeholder="All tags")
    exclude = right.multiselect("Leave out questions with any of these tags", counts.index,
                                key="slice_exclude", persist_state="session",
                                format_func=label, placeholder="None")
    left, mid, right = st.columns([5, 2, 3])
    limit = left.radio("Tags the model learns", TAG_LIMITS, key="slice_tag_limit", persist_state="session",
                       horizontal=True,
                       help="Limits the tag list: other tags are removed from the questions, and questions left "
                            "with no tag are dropped.")
    n = mid.number_input("N", 1, 1000, 20, key="slice_tag_n", persist_state="session", disabled=limit == TAG_LIMITS[0])
    text = right.text_input("Title contains", key="slice_text",
                            persist_state="session", placeholder="e.g. bread", max_chars=100)
    a, b, c, d = st.columns(4)
    id_min = a.number_input("Smallest id", min_value=0, value=None, step=1,
                            key="slice_id_min", persist_state="session", placeholder="any")
    id_max = b.number_input("Largest id", min_value=0, value=None, step=1,
                            key="slice_id_max", persist_state="session", placeholder="any")
    sample = c.number_input("Sample size (0: all)", 0, jobs.MAX_ROWS, 0, step=500,
                            key="slice_sample", persist_state="session",
                            help="Train on a random sample of the matching questions.")
    seed = d.number_input("Seed", 0, 1_000_000, 42, key="slice_seed",
                          persist_state="session", help="Same seed, same sample and same model.")
    return slices.SliceSpec(
        include_tags=list(include), exclude_tags=list(exclude),
        min_tag_count=int(n) if limit == TAG_LIMITS[1] else 1, top_n_tags=int(n) if limit == TAG_LIMITS[2] else 0,
        text_contains=text, id_min=None if id_min is None else int(id_min),
        id_max=None if id_max is None else int(id_max), sample_size=int(sample), seed=int(seed))


def choose_model() -> tuple[tok.TokenConfig, HParams]:
    """Token filter and hyperparameters; raises ValueError with the reason when they don't make sense."""
    left, right = st.columns(2)
    pos_choice = left.selectbox("Words the model sees (POS filter)", [*tok.FILTERS, CUSTOM_POS],
                                key="hp_pos", persist_state="session",
                                help="Part-of-speech tags to keep. The original question kept nouns and gerunds.")
    custom = right.text_input("Custom POS tags", "NN,NNS,VBG,JJ", key="hp_pos_custom", persist_state="session",
                              disabled=pos_choice != CUSTOM_POS, help="Comma-separated Penn Treebank tags, or 'all'.")
    config = (tok.TokenConfig.from_pos(custom) if pos_choice == CUSTOM_POS
              else tok.TokenConfig(pos_tags=tok.FILTERS[pos_choice]))
    d = jobs.DEMO_HPARAMS  # the page starts from the recipe tagger/ trains with, in fewer epochs
    a, b, c = st.columns(3)
    epochs = a.slider("Epochs", 1, jobs.MAX_EPOCHS, d.epochs, key="hp_epochs", persist_state="session",
                      help="Training stops early when validation P@1 + R@5 stops improving.")
    embedding = b.select_slider("Embedding size", [16, 32, 64, 128, 256], d.embedding_dim,
                                key="hp_embedding", persist_state="session")
    filters = c.select_slider("Filters per kernel size", [8, 16, 32, 64, 128, 256], d.filters,
                              key="hp_filters", persist_state="session")
    a, b, c = st.columns(3)
    kernels = a.multiselect("Kernel sizes (words per window)", [1, 2, 3, 4, 5], list(d.kernel_sizes),
                            key="hp_kernels", persist_state="session")
    bag = b.select_slider("Bag-of-words path", [0, 32, 64, 128, 256], d.bag_dim, key="hp_bag",
                          persist_state="session", help="Vector size of the word-average path beside the "
                                                        "convolutions (0: convolutions only). It lifts R@5.")
    batch = c.select_slider("Batch size", [16, 32, 64, 128, 256], d.batch_size, key="hp_batch",
                            persist_state="session")
    left, right = st.columns(2)
    dropout = left.slider("Dropout", 0.0, 0.8, d.dropout, 0.05, key="hp_dropout", persist_state="session")
    weights = right.checkbox("Learned word weights in the bag of words", d.bag_weights, key="hp_bag_weights",
                             persist_state="session", disabled=not bag,
                             help="Each word's share of the bag's average is learned, like an IDF for the tags "
                                  "(off: a plain average). It lifted P@1 by about 0.01 on validation rows.")
    output = st.radio("Output layer and loss", list(OUTPUTS), key="hp_output", persist_state="session")
    if not kernels:
        raise ValueError("Pick at least one kernel size.")
    hp = dataclasses.replace(d, epochs=int(epochs), embedding_dim=int(embedding), filters=int(filters),
                             kernel_sizes=tuple(sorted(kernels)), bag_dim=int(bag), bag_weights=bool(weights),
                             dropout=float(dropout),
                             batch_size=int(batch), output=OUTPUTS[output])
    return config, hp


def history_charts(history: list[dict]) -> tuple[alt.Chart, alt.Chart]:
    frame = pd.DataFrame(history)
    loss_cols = [c for c in ("loss", "val_loss") if c in frame]
    loss = frame.melt("epoch", loss_cols, var_name="curve", value_name="value")
    loss["curve"] = loss.curve.map({"loss": "training loss", "val_loss": "validation loss"})
    x = alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1), scale=alt.Scale(domainMin=1))
    loss_chart = alt.Chart(loss).mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title="loss", scale=alt.Scale(zero=False)),
        color=alt.Color("curve:N", legend=alt.Legend(orient="top", title=None)),
        tooltip=["epoch", "curve", alt.Tooltip("value:Q", format=".4f")]).properties(title="Loss", height=300)
    p1 = frame.assign(p1=frame.get("val_p_at_1", pd.Series(dtype=float)))
    p1_chart = alt.Chart(p1).mark_line(point=alt.OverlayMarkDef(color="#21a356"), color="#21a356").encode(
        x=x, y=alt.Y("p1:Q", title="P@1", scale=alt.Scale(domain=[0, 1])),
        tooltip=["epoch", alt.Tooltip("p1:Q", format=".3f", title="P@1")]).properties(
        title="Validation P@1", height=300)
    return loss_chart, p1_chart


def show_progress(job: jobs.BackgroundJob) -> None:
    snap = job.snapshot()
    st.progress(min(snap.fraction, 1.0), text=f"{snap.phase} · batch {snap.batch} of {snap.batches or '…'} · "
                                              f"{snap.elapsed:.0f} s of at most {job.max_seconds:.0f} s")
    if snap.history and snap.kind == jobs.TRAINING:
        for col, chart in zip(st.columns(2), history_charts(snap.history), strict=False):
            col.altair_chart(chart, width="stretch")
    if job.owned_by(session.session_id()):
        st.button("Stop training", on_click=job.stop_for, args=(session.session_id(),), disabled=snap.message != "",
                  help="Ends the run after the current batch. Nothing is saved.")
    if snap.message and snap.status == jobs.RUNNING:
        st.caption("Stopping after the current batch…")


@st.fragment(run_every=1.0)
def watch(job: jobs.BackgroundJob) -> None:
    """Redraws the progress every second while the run goes on (with Stop for its owner); a full rerun when it
    ends shows the result."""
    if job.running:
        show_progress(job)
    else:
        st.rerun()


def show_result(job: jobs.TrainingJob) -> None:
    snap = job.snapshot()
    if snap.status == jobs.STOPPED:
        st.warning(safe.plain(f"{snap.message} The active model was not changed."))
        return
    if snap.status == jobs.FAILED:
        st.error(safe.plain(f"{snap.message} The active model was not changed."))
        return
    experiment = job.result
    tagger = experiment.tagger
    st.success(f"Training finished in {snap.elapsed:.0f} s after {len(snap.history)} epochs: "
               f"{len(tagger.tags):,} tags, {len(tagger.vocabulary):,} tokens, threshold {tagger.threshold:.2f}.")
    for col, chart in zip(st.columns(2), history_charts(snap.history), strict=False):
        col.altair_chart(chart, width="stretch")
    st.markdown(f"**Scores on the slice's {len(job.test):,} held-out questions** (all models on the same rows)")
    table = experiment.results.rename(columns=METRIC_NAMES).reset_index()
    table.loc[0, "model"] = f"New model: {table.loc[0, 'model']}"
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        name: st.column_config.NumberColumn(format="%.3f") for name in list(METRIC_NAMES.values())[:-1]})
    st.caption("The baseline learns from the same tokens and the same training rows; its scores are kept per slice "
               "(and ship with the app for the untouched slice), so the first comparison on a new slice takes longer "
               "than the next (about 700 logistic regressions fit beside the network). The active model was trained on "
               "its own data: it may suggest tags this slice "
               "leaves out (which count against it), and it may have seen some of these questions in training.")

    saved = st.session_state.get("retrain_saved")
    if saved:
        st.success(f"Saved as {saved}. It is listed on the Models page and in the sidebar.")
        for note in st.session_state.get("retrain_notes", []):
            st.info(safe.plain(note))
        return
    st.subheader("Save the model")
    st.session_state.setdefault("retrain_name", f"retrained-{dt.datetime.now():%Y%m%d-%H%M}")
    name = st.text_input("Model name", key="retrain_name", max_chars=64,
                         help="Letters, digits, '.', '_' or '-'; 1 to 64 characters.")
    admin = session.is_admin()
    activate = st.checkbox("Make it the active model (the server default, and this session's model)",
                           key="retrain_activate", disabled=not admin,
                           help=None if admin else "Choosing the server's default model needs the admin password.")
    if st.button("Save model", type="primary"):
        registry = cached.registry()
        try:
            saved = registry.save_visitor(tagger, name, session.session_id(), grant=session.admin_grant())
        except (RegistryError, OSError) as e:
            st.error(safe.plain(e if isinstance(e, QuotaExceeded) else f"Not saved: {e}"))
            return
        notes = [f"To keep the server within its limit of visitor models, the oldest were removed: "
                 f"{', '.join(saved.pruned)}."] if saved.pruned else []
        if activate:
            try:  # saved either way; only making it the default can still be refused (the admin locked meanwhile)
                registry.activate(saved.path.name, grant=session.admin_grant())
                session.set_model(saved.path.name)
            except RegistryError as e:
                notes.append(f"Not made the active model: {e}")
        st.session_state.update(retrain_saved=saved.path.name, retrain_notes=notes)
        st.rerun()


def start_training(spec, sliced, config, hp) -> jobs.TrainingJob | None:
    """Start this session's run on the slice (compared with this session's model); None if refused."""
    train, test = slices.split(sliced)
    try:
        active = session.tagger()
        compare = {f"Active model ({active.name})": active}
    except (cached.Unavailable, RegistryError):
        compare = {}  # no model yet: the new one is compared with the baseline only
    path = loaders.default_data_path()
    info = {"source": path.name if path else "?", "fingerprint": fingerprint(sliced), "slice": spec.to_dict()}
    try:
        job = jobs.start(train, test, config, hp, data_info=info, compare_with=compare,
                         owner=session.session_id())
    except (jobs.JobBusy, ValueError) as e:
        st.error(safe.plain(e))
        return None
    st.session_state.update(retrain_job=job, retrain_saved=None)
    st.session_state.pop("retrain_name", None)  # the next result gets a fresh default name
    return job


st.title("Retrain")
st.caption("Train a new tagger on a slice of the questions, watch it learn, and compare it with the active model "
           "and a TF-IDF baseline before you keep it.")
try:
    saves = f" Saving: {cached.registry().save_limits()}."
except RegistryError as e:
    saves = f" Saving is refused until the server's setting is fixed: {safe.plain(e)}"
st.info(f"Demo limits: at most {jobs.MAX_ROWS:,} questions, {jobs.MAX_EPOCHS} epochs and "
        f"{jobs.MAX_SECONDS // 60} minutes of training per run, and one run at a time on this server. "
        f"A run that fails or is stopped changes nothing.{saves}")
questions = session.questions_or_stop()
my_job: jobs.TrainingJob | None = st.session_state.get("retrain_job")
other = jobs.running()
if other is not None and not other.owned_by(session.session_id()):
    if other.kind == jobs.REPLAY:
        st.warning("The Story page is replaying the original network on this server right now (under a minute). "
                   "Training here opens again when it ends.")
    else:
        st.warning("Someone else is training a model on this server right now. You can use Suggest, Tokens and "
                   "Models meanwhile; training here opens again when their run ends.")
    watch(other)
    st.stop()

st.header("1. Data slice")
spec = choose_slice(questions)
sliced = slices.apply(questions, spec)
summary = slices.summarize(sliced)
a, b, c, d = st.columns(4)
a.metric("Questions", f"{summary.rows:,}")
b.metric("Tags", f"{summary.tags:,}")
c.metric("Train / held out", f"{summary.train_rows:,} / {summary.test_rows:,}")
d.metric("Tags the model can learn", f"{summary.trainable_tags:,}", help="Tags on at least 2 training questions.")
problems = slices.problems(summary)
for problem in problems:
    st.error(problem)
if not problems:
    shared, held = slices.overlap_with_project_holdout(sliced, questions)
    st.caption(f"Held out: the last {held:,} questions of the slice in file order; {shared:,} of them are also in "
               "the project's held-out set that the shipped models never saw.")

st.header("2. Model")
try:
    config, hp = choose_model()
    hp_problem = None
except ValueError as e:
    config, hp, hp_problem = None, None, str(e)
    st.error(safe.plain(hp_problem))

st.header("3. Train")
running = my_job is not None and my_job.running
if st.button("Start training", type="primary", disabled=bool(problems or hp_problem or running)):
    my_job = start_training(spec, sliced, config, hp) or my_job
    running = my_job is not None and my_job.running

if my_job is None:
    st.caption("Choose a slice and hyperparameters, then start. Training takes from a few seconds to a few minutes.")
elif running:
    watch(my_job)
else:
    st.header("4. Result")
    show_result(my_job)
