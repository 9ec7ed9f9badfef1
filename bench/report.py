"""The benchmark's output: markdown tables, the text report and the chart."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def markdown_table(rows: Sequence[dict], columns: Sequence[tuple[str, str]], floats: str = "{:.3f}") -> str:
    """rows -> a GitHub markdown table; columns are (key, header)."""
    def cell(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return floats.format(v)
        return str(v)

    lines = ["| " + " | ".join(h for _, h in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(k)) for k, _ in columns) + " |")
    return "\n".join(lines)


def fmt(v, digits: int = 3) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"
    return str(v)


# --- output --------------------------------------------------------------------------------------
QUALITY_COLUMNS = [("name", "model"), ("tokens", "tokens"), ("p_at_1", "P@1"), ("p_at_5", "P@5"),
                   ("r_at_5", "R@5"), ("micro_f1", "micro-F1"), ("train_seconds", "train s"), ("seeds", "seeds")]


def spread(mean: float, std: float) -> str:
    return f"{mean:.3f} ± {std:.3f}"


def quality_table(rows: Sequence[dict]) -> str:
    """One line per model: every measure as mean ± standard deviation over the seeds."""
    view = []
    for r in rows:
        name = r["model"] if r["kind"] == "peer" else f"{r['model']} (`{r['key']}`)"
        view.append({"name": name, "tokens": r["tokens"], "seeds": len(r["seeds"]),
                     "train_seconds": f"{r['train_seconds']:.1f}",
                     **{m: spread(r[m], r[f"{m}_std"]) for m in ("p_at_1", "p_at_5", "r_at_5", "micro_f1")}})
    return markdown_table(view, QUALITY_COLUMNS)


def versus_table(rows: Sequence[dict]) -> str:
    view = [{**r, "p": f"{r['p_at_1_vs_best_peer']:+.3f} (vs {r['best_peer_p_at_1']})",
             "r": f"{r['r_at_5_vs_best_peer']:+.3f} (vs {r['best_peer_r_at_5']})"} for r in rows]
    return markdown_table(view, [("key", "Conv1D recipe"), ("tokens", "tokens"), ("p", "P@1 − best peer's"),
                                 ("r", "R@5 − best peer's")])


def speed_table(rows: Sequence[dict]) -> str:
    view = [{"measure": r["measure"], "value": f"{fmt(r['value'])} {r['unit']}",
             "reference": r["reference"] or "-",
             "ref": f"{fmt(r['reference_value'])} {r['unit']}" if r["reference_value"] is not None else "-",
             "ratio": r["compare"] or "-"} for r in rows]
    return markdown_table(view, [("measure", "measure"), ("value", "value"), ("reference", "reference"),
                                 ("ref", "reference value"), ("ratio", "ratio (value / reference)")])


def report(results: dict) -> str:
    parts = []
    m = results.get("machine", {})
    parts.append(f"Machine: {m.get('cpu')}, {m.get('cores')} cores, {m.get('memory_gb')} GB, "
                 f"{'GPU: ' + ', '.join(m['gpus']) if m.get('gpus') else 'no GPU'}; "
                 f"Python {m.get('python')}. Run {results['run'].get('started')}, "
                 f"{results['run'].get('seconds', 0):.0f} s{' (quick mode)' if results['run'].get('quick') else ''}.")
    d = results.get("data", {})
    if d:
        parts.append(f"Data: {d['rows']:,} questions; {d['train_rows']:,} for training, {d['heldout_rows']:,} "
                     f"held out.")
    if results.get("quality"):
        parts.append(f"### Quality (held-out split, same rows and tokens, mean ± std over seeds "
                     f"{', '.join(map(str, results.get('seeds', [])))})\n\n" + quality_table(results["quality"]))
    if results.get("versus_best_peer"):
        parts.append("### Each Conv1D against the best peer on its tokens\n\n"
                     + versus_table(results["versus_best_peer"]))
    whole = results.get("whole_process")
    if whole:
        parts.append("### Training as a whole process (median of alternating rounds)\n\n" + markdown_table(
            [{"what": f"`python {whole['command']}`", "s": whole["conv1d_median_s"],
              "runs": ", ".join(f"{x:.1f}" for x in whole["seconds"]["conv1d"])},
             {"what": whole["fasttext"], "s": whole["fasttext_median_s"],
              "runs": ", ".join(f"{x:.1f}" for x in whole["seconds"]["fasttext"])},
             {"what": "ratio (Conv1D / fastText)", "s": whole["ratio"], "runs": ""}],
            [("what", "process"), ("s", "median s"), ("runs", "each round, s")], floats="{:.2f}"))
    if results.get("speed"):
        parts.append("### Speed\n\n" + speed_table(results["speed"]))
    if results.get("targets"):
        parts.append("### Targets\n\n" + markdown_table(
            [{**t, "met": "-" if t["met"] is None else "yes" if t["met"] else "NO"} for t in results["targets"]],
            [("target", "target"), ("value", "measured"), ("met", "met")]))
    tagging = results.get("tagging")
    if tagging:
        ref = tagging["in_process"]
        parts.append(f"### POS tagging, {tagging['titles']:,} titles, 1 vs N processes "
                     f"({tagging['available_cores']} cores)\n\n" + markdown_table(
                         [{"how": "in-process (the reference output)", "s": ref["seconds"], "rate": ref["titles_per_s"],
                           "x": 1.0, "same": "-", "load": ref["load_1min_before"]}]
                         + [{"how": f"pool of {r['processes']}", "s": r["seconds"], "rate": r["titles_per_s"],
                             "x": r["speedup_vs_in_process"], "same": "yes" if r["identical"] else "NO",
                             "load": r["load_1min_before"]} for r in tagging["pools"]],
                         [("how", "processes"), ("s", "wall s (start-up included)"), ("rate", "titles/s"),
                          ("x", "speed-up"), ("same", "output identical"), ("load", "load average before")],
                         floats="{:.2f}"))
    if results.get("stream"):
        parts.append("### Streaming training, one epoch (peak memory and time as the data grows)\n\n" + markdown_table(
            [{**r, "val_p_at_1": fmt(r.get("val_p_at_1"))} for r in results["stream"]]
            + ([{**results["stream_inmemory_reference"], "mode": "in-memory reference", "workers": 1}]
               if results.get("stream_inmemory_reference") else []),
            [("mode", "mode"), ("workers", "workers"), ("questions", "questions"), ("posts_xml_mb", "Posts.xml MB"),
             ("peak_rss_mb", "peak RSS MB (largest process)"), ("peak_rss_mb_sum", "sum over processes MB"),
             ("tag_seconds", "tagging s"), ("train_seconds", "training s"), ("wall_seconds", "wall s"),
             ("steps", "steps"), ("val_p_at_1", "val P@1")], floats="{:.1f}"))
    if results.get("stream_checks"):
        parts.append("### 1 vs several workers: the same training?\n\n" + markdown_table(
            [{**c, "w": c["workers"], "theirs": c[f"val_p_at_1_{c['workers']}_workers"],
              "vocab": "yes" if c["same_vocabulary_and_tags"] else "NO",
              "ok": "yes" if c["within_tolerance"] else "NO"} for c in results["stream_checks"]],
            [("questions", "questions"), ("w", "workers"), ("val_p_at_1_1_worker", "val P@1, 1 worker"),
             ("theirs", "val P@1, workers"), ("difference", "difference"), ("vocab", "same vocabulary and tags"),
             ("ok", "within ±0.03")], floats="{:.4f}"))
    if results.get("notes"):
        parts.append("Notes:\n" + "\n".join(f"- {n}" for n in results["notes"]))
    return "\n\n".join(parts)


def write_chart(results: dict, path: Path) -> Path | None:
    """results.png: quality bars per model, and each speed ratio on a log scale."""
    import altair as alt
    import pandas as pd

    charts = []
    if results.get("quality"):
        names = {"p_at_1": "P@1", "p_at_5": "P@5", "r_at_5": "R@5", "micro_f1": "micro-F1"}
        long = pd.DataFrame([
            {"model": f"{r['key']} · {r['tokens']}", "metric": label, "score": r[m],
             "low": r[m] - r[f"{m}_std"], "high": r[m] + r[f"{m}_std"]}
            for r in results["quality"] for m, label in names.items()])
        order = list(dict.fromkeys(long.model))
        y = alt.Y("model:N", sort=order, title=None, axis=alt.Axis(labelLimit=420))
        base = alt.Chart(long, title="Quality on the held-out split: mean ± std over seeds").encode(
            y=y, yOffset="metric:N", color=alt.Color("metric:N", legend=alt.Legend(orient="bottom")))
        bars = base.mark_bar().encode(x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1])))
        errors = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
        charts.append((bars + errors).properties(width=420, height=alt.Step(9)))
    speed = [r for r in results.get("speed", []) if r.get("ratio")]
    if speed:
        s = pd.DataFrame([{"measure": r["measure"], "ratio": r["ratio"], "one": 1.0, "at": max(r["ratio"], 1.0),
                           "label": f"{fmt(r['value'])} vs {fmt(r['reference_value'])} {r['unit']} "
                                    f"({r['ratio']:.3g}x)"} for r in speed])
        lo, hi = min(s.ratio.min(), 1.0) / 1.5, max(s.ratio.max(), 1.0) * 40
        x = alt.X("ratio:Q", scale=alt.Scale(type="log", domain=[lo, hi]), title="value / reference (log)")
        base = alt.Chart(s, title="Speed: each figure / its reference in the same run (1 = same)").encode(
            y=alt.Y("measure:N", sort=list(s.measure), title=None, axis=alt.Axis(labelLimit=420)))
        bars = base.mark_rule(strokeWidth=8, color="#4c78a8").encode(x=x, x2="one:Q")
        text = base.mark_text(align="left", dx=6, fontSize=10).encode(x="at:Q", text="label:N")
        rule = alt.Chart(pd.DataFrame({"x": [1.0]})).mark_rule(color="gray", strokeDash=[4, 3]).encode(x="x:Q")
        charts.append((bars + text + rule).properties(width=420))
    if not charts:
        return None
    chart = alt.vconcat(*charts).resolve_scale(color="independent")
    path = Path(path)
    chart.save(str(path), format="png", scale_factor=1.5)
    return path


