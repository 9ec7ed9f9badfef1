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
QUALITY_COLUMNS = [("model", "model"), ("tokens", "tokens"), ("p_at_1", "P@1"), ("p_at_5", "P@5"),
                   ("r_at_5", "R@5"), ("micro_f1", "micro-F1"), ("train_seconds", "train s")]


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
        parts.append("### Quality (held-out split, same tokens)\n\n"
                     + markdown_table(results["quality"], QUALITY_COLUMNS))
    if results.get("speed"):
        parts.append("### Speed\n\n" + speed_table(results["speed"]))
    if results.get("targets"):
        parts.append("### Targets\n\n" + markdown_table(
            [{**t, "met": "yes" if t["met"] else "NO"} for t in results["targets"]],
            [("target", "target"), ("value", "measured"), ("met", "met")]))
    if results.get("stream"):
        parts.append("### Streaming training (peak memory)\n\n" + markdown_table(
            results["stream"] + ([{**results["stream_inmemory_reference"], "mode": "in-memory reference"}]
                                 if results.get("stream_inmemory_reference") else []),
            [("mode", "mode"), ("questions", "questions"), ("posts_xml_mb", "Posts.xml MB"),
             ("peak_rss_mb", "peak RSS MB"), ("tag_seconds", "tagging s"), ("train_seconds", "training s"),
             ("steps", "steps"), ("max_steps_per_epoch", "step cap"), ("seconds", "total s")], floats="{:.1f}"))
    if results.get("notes"):
        parts.append("Notes:\n" + "\n".join(f"- {n}" for n in results["notes"]))
    return "\n\n".join(parts)


def write_chart(results: dict, path: Path) -> Path | None:
    """results.png: quality bars per model, and each speed ratio on a log scale."""
    import altair as alt
    import pandas as pd

    charts = []
    if results.get("quality"):
        q = pd.DataFrame(results["quality"])
        long = q.melt(id_vars=["model"], value_vars=["p_at_1", "p_at_5", "r_at_5", "micro_f1"],
                      var_name="metric", value_name="score")
        long["metric"] = long.metric.map({"p_at_1": "P@1", "p_at_5": "P@5", "r_at_5": "R@5", "micro_f1": "micro-F1"})
        charts.append(alt.Chart(long, title="Quality on the held-out split (same tokens)").mark_bar().encode(
            x=alt.X("score:Q", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("model:N", sort=list(q.model), title=None, axis=alt.Axis(labelLimit=420)),
            color=alt.Color("metric:N", legend=alt.Legend(orient="bottom")),
            yOffset="metric:N",
        ).properties(width=420, height=alt.Step(9)))
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


