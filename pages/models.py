"""Models: every model in the registry, which one is active, and how well a model does tag by tag."""

import altair as alt
import pandas as pd
import streamlit as st

from tagger.app import model_report
from tagger.store.registry import RegistryError
from tagger.ui import cached, navigation, safe, session

navigation.guard()  # first: a page opened on its own runs through app.py (see tagger/ui/navigation.py)


def activate(name: str) -> None:
    try:
        cached.registry().activate(name, grant=session.admin_grant())
    except RegistryError as e:
        session.flash(f"Not activated: {e}", "error")
        return
    session.set_model(name)
    session.flash(f"{name} is now the active model: the server's default, and the model this session uses.")


def delete(name: str) -> None:
    try:
        cached.registry().delete(name, grant=session.admin_grant())
    except (RegistryError, OSError) as e:
        session.flash(f"Not deleted: {e}", "error")
        return
    if st.session_state.get(session.MODEL_KEY) == name:
        session.set_model(None)  # falls back to the server's active model
    st.session_state.pop("models_confirm_delete", None)
    session.flash(f"Deleted {name}.")


def threshold_chart(curve: pd.DataFrame, threshold: float) -> alt.Chart:
    long = curve.melt("threshold", ["micro_f1", "precision", "recall"], var_name="measure", value_name="value")
    long["measure"] = long.measure.map({"micro_f1": "micro-F1", "precision": "precision", "recall": "recall"})
    lines = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("threshold:Q", scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 1]), title=None),
        color=alt.Color("measure:N", scale=alt.Scale(domain=["micro-F1", "precision", "recall"],
                                                     range=["#1c83e1", "#21a356", "#f0a030"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        strokeWidth=alt.condition("datum.measure == 'micro-F1'", alt.value(3), alt.value(1.5)),
        tooltip=["measure", alt.Tooltip("threshold:Q", format=".2f"), alt.Tooltip("value:Q", format=".3f")])
    rule = alt.Chart(pd.DataFrame({"threshold": [threshold]})).mark_rule(color="#666",
                     strokeDash=[5, 3], strokeWidth=2).encode(
        x="threshold:Q", tooltip=[alt.Tooltip("threshold:Q", format=".2f", title="model's threshold")])
    return (lines + rule).properties(height=320)


st.title("Models")
st.caption("Every model in the registry. The active model is the server's default for new visitors; "
           "the sidebar changes the model for your session only.")
session.show_flash()
registry = cached.registry()
entries = registry.entries()
if not entries:
    st.info(safe.plain(f"No models in {registry.root} yet. Train one on the Retrain page."))
    st.stop()
active = registry.active_name()
percent = st.column_config.NumberColumn(format="%.3f")
st.dataframe(model_report.models_table(entries, active), hide_index=True, width="stretch", column_config={
    "P@1": percent, "P@5": percent, "R@5": percent, "micro-F1": percent,
    "threshold": st.column_config.NumberColumn(format="%.2f"),
})
st.caption("Scores are on each model's held-out questions, measured when it was trained; for a model trained on "
           "every question, they are its split-trained twin's (the same recipe without the held-out questions).")

st.subheader("Manage a model")
names = [e.name for e in entries]
usable = set(registry.names())
session_model = session.model_name()
chosen = st.selectbox("Model", names, key="models_chosen",
                      index=names.index(session_model) if session_model in names else 0)
entry = next(e for e in entries if e.name == chosen)
admin = session.is_admin()  # the registry enforces it; the buttons only show it
a, b, c = st.columns([1, 2, 1], vertical_alignment="bottom")
a.button("Activate", type="primary", on_click=activate, args=(chosen,),
         disabled=not admin or chosen not in usable or chosen == active,
         help="Make it the server's default model and the model this session uses.")
confirm = b.checkbox(f"Yes, delete {chosen} for everyone", key="models_confirm_delete",
                     disabled=not admin or entry.shipped)
c.button("Delete", on_click=delete, args=(chosen,), disabled=not admin or entry.shipped or not confirm,
         help="Shipped models can't be deleted." if entry.shipped else "Removes the model from the registry.")
if not admin:
    st.caption("Choosing the server's default model and deleting models need the admin password (in the sidebar). "
               "To use a model yourself, pick it in the sidebar: that changes this session only.")
if entry.shipped:
    st.caption(f"{chosen} ships with the app, so it can't be deleted.")
if chosen == active:
    st.caption(f"{chosen} is the active model.")

st.subheader("Per-tag quality")
if chosen not in usable:
    st.error(safe.plain(f"{chosen} can't be used: {entry.problem}"))
    st.stop()
questions = session.questions_or_stop()
tagger = cached.load_tagger(chosen, twin=True)
report, curve, description = cached.per_tag(tagger)
by = " (by its split-trained twin: the same recipe without these questions)" if tagger.is_twin else ""
st.caption(f"{chosen} scored{by} on {description}, tags above its threshold of {tagger.threshold:.2f}. "
           "Click a column header to sort.")
left, right = st.columns([3, 2], gap="large")
with left:
    st.dataframe(report, hide_index=True, width="stretch", height=360, column_config={
        "precision": percent, "recall": percent, "f1": st.column_config.NumberColumn("F1", format="%.3f"),
        "predicted": st.column_config.NumberColumn("times predicted"),
    })
with right:
    st.markdown("**Threshold vs micro-F1**")
    st.altair_chart(threshold_chart(curve, tagger.threshold), width="stretch")
    best = curve.loc[curve.micro_f1.idxmax()]
    st.caption(f"Best micro-F1 here: {best.micro_f1:.3f} at {best.threshold:.2f}. The dashed line is the threshold "
               "the model uses (tuned on its own validation questions).")
