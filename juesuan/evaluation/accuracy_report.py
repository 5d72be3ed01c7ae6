"""``juesuan report accuracy``: a metric over time per template family and preset, from MLflow evaluate runs.

Reads the runs of the ``juesuan-evaluate`` experiment in the project store (training/tracking.py), takes every
metric ``family.<family>.<preset>.<metric>`` that ``juesuan evaluate`` logs (evaluation/families.py), and draws one
line per family and preset over the runs' start times: ``accuracy.png``, plus ``accuracy.html`` with the picture
and the numbers as a table, so a drop after a retrain or a new template shows up where people look.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timezone
from pathlib import Path


def collect(metric: str, experiment: str, tracking_dir: str | None = None) -> dict[str, list[tuple[datetime, float]]]:
    """``{"<family> / <preset>": [(run start, value), …]}`` sorted by time."""
    from mlflow import MlflowClient

    from juesuan.training import tracking

    tracking.setup(tracking_dir, experiment)
    client = MlflowClient()
    exp = client.get_experiment_by_name(experiment)
    series: dict[str, list[tuple[datetime, float]]] = {}
    if exp is None:
        return series
    runs = client.search_runs([exp.experiment_id], max_results=5000, order_by=["attributes.start_time ASC"])
    for run in runs:
        when = datetime.fromtimestamp(run.info.start_time / 1000, timezone.utc)
        for key, value in run.data.metrics.items():
            parts = key.split(".")
            if len(parts) == 4 and parts[0] == "family" and parts[3] == metric:
                series.setdefault(f"{parts[1]} / {parts[2]}", []).append((when, float(value)))
    return {k: sorted(v) for k, v in sorted(series.items())}


def draw(series: dict[str, list[tuple[datetime, float]]], metric: str, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.8))
    for name, points in series.items():
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name)
    ax.set_ylabel(metric)
    ax.set_xlabel("evaluation run (UTC)")
    ax.set_title(f"{metric} per template family / preset")
    ax.grid(alpha=0.3)
    values = [v for points in series.values() for _, v in points]
    if values and min(values) >= 0 and max(values) <= 1:
        ax.set_ylim(-0.02, 1.02)  # rates: the whole scale, so a drop looks like one
    if series:
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)  # beside, not on, the data
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_accuracy_report(
    out: Path, metric: str = "value_accuracy", experiment: str = "juesuan-evaluate", tracking_dir: str | None = None
) -> tuple[Path, Path, int]:
    """Write ``out/accuracy.png`` and ``out/accuracy.html``; returns both paths and the number of points."""
    from juesuan.io.atomic import write_text
    from juesuan.training import tracking

    series = collect(metric, experiment, tracking_dir)
    out = Path(out)
    png = draw(series, metric, out / "accuracy.png")
    rows: list[str] = []
    for name, points in series.items():
        for when, value in points:
            rows.append(f"<tr><td>{html.escape(name)}</td><td>{when:%Y-%m-%d %H:%M}</td><td>{value:.4f}</td></tr>")
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    store = html.escape(tracking.tracking_uri(tracking_dir))
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>juesuan {html.escape(metric)} over time</title>
<style>body{{font:14px system-ui,sans-serif;margin:16px}}td,th{{border:1px solid #ccc;padding:2px 6px}}
table{{border-collapse:collapse}}</style></head><body>
<h1>{html.escape(metric)} over time per template family / preset</h1>
<p>From experiment <code>{html.escape(experiment)}</code> in <code>{store}</code>,
made {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by <code>juesuan report accuracy</code>.</p>
<img alt="{html.escape(metric)} over time" src="data:image/png;base64,{image}">
<table><tr><th>family / preset</th><th>run (UTC)</th><th>{html.escape(metric)}</th></tr>
{"".join(rows)}
</table></body></html>
"""
    html_path = out / "accuracy.html"
    write_text(html_path, page)
    return png, html_path, sum(len(v) for v in series.values())
