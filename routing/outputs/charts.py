"""The capacity-under-risk chart (``routing.risk.robust.capacity_under_risk``): for each fleet
tried, the chance that every district is on time against the start day (H-14 to H-3), the
target as a dashed line and the latest safe start marked; written as SVG or PNG by matplotlib,
Indonesian or English. Planners read it faster than the table."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from routing.local import Lang

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "title": "{scenario}: peluang semua kecamatan tepat waktu menurut hari mulai",
        "x": "Hari mulai (H-n: n hari sebelum pemungutan suara)",
        "y": "Semua kecamatan tepat waktu (%)",
        "target": "target {p} %",
        "safe": "mulai paling lambat yang aman: H-{k}",
        "least": "armada terkecil (laut tenang)",
        "scenario": "armada skenario",
        "fleet": "seluruh armada",
        "runs": "{runs} simulasi per titik, iklim: {climate}",
        "assumed": "diasumsikan",
        "verified": "terverifikasi",
    },
    "en": {
        "title": "{scenario}: chance every district is on time by start day",
        "x": "Start day (H-n: n days before polling day)",
        "y": "Every district on time (%)",
        "target": "target {p} %",
        "safe": "latest safe start: H-{k}",
        "least": "least fleet (calm sea)",
        "scenario": "scenario's fleet",
        "fleet": "whole fleet",
        "runs": "{runs} runs per point, climate: {climate}",
        "assumed": "assumed",
        "verified": "verified",
    },
}


def capacity_chart(report: dict[str, Any], lang: Lang = "id", *, fmt: str = "svg") -> bytes:
    """The chart of a capacity-under-risk report, as ``fmt`` (``svg`` or ``png``) bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    w = WORDS[lang]
    days = report["days_before"]
    fig = Figure(figsize=(8, 4.5), dpi=100)
    ax = fig.add_subplot()
    for f in report["fleets"]:
        cells = {c["days_before"]: c for c in report["table"] if c["fleet"] == f["id"]}
        ys = [
            100 * cells[k]["every_district_on_time"]
            if k in cells and cells[k].get("every_district_on_time") is not None
            else float("nan")
            for k in days
        ]
        ax.plot(range(len(days)), ys, marker="o", label=w.get(f["id"], f["id"]))
    target = 100 * report["target_on_time"]
    ax.axhline(target, linestyle="--", color="#c0392b", label=w["target"].format(p=f"{target:g}"))
    safe = report.get("latest_safe_days_before")
    if safe is not None and safe in days:
        ax.axvline(days.index(safe), linestyle=":", color="#1e8449", label=w["safe"].format(k=safe))
    ax.set_xticks(range(len(days)), [f"H-{k}" for k in days])
    ax.set_ylim(0, 100)
    ax.set_xlabel(w["x"])
    ax.set_ylabel(w["y"])
    ax.set_title(w["title"].format(scenario=report["scenario"]), fontsize=11)
    status = str(report.get("climate_source", "")).split(":", 1)[0].strip()
    climate = w.get(status, status)
    if report.get("climate", "bundled") != "bundled":
        climate += f" ({report['climate']})"
    fig.text(0.01, 0.01, w["runs"].format(runs=report["runs"], climate=climate), fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    out = io.BytesIO()
    # SVG text stays text (searchable, a tenth of the bytes); no date, so the same report
    # gives the same bytes.
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "capacity"}):
        fig.savefig(out, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
    plt.close("all")
    return out.getvalue()


def write_capacity_chart(report: dict[str, Any], path: Path, lang: Lang = "id") -> Path:
    """Write the chart to ``path``: SVG or PNG by its suffix."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        raise ValueError(f"--chart: {path} is neither .svg nor .png")
    path.write_bytes(capacity_chart(report, lang, fmt=fmt))
    return path
