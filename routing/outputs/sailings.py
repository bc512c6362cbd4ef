"""The booked scheduled sailings of a two-echelon plan, as people and scripts read them.

- ``notes_html``: a consignment note (surat muatan) for each booked sailing, one page each, for
  the ship's purser and the receiving district office: the sailing, its cut-off, and per hub the
  kits it lands (village, district, TPS, boxes, kg, m3), with places to sign. Indonesian or
  English (the context's language); times in WIB.
- ``sailings_csv``: one row per consignment on a booked sailing, for scripts.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from jinja2 import Environment, select_autoescape

from routing.local import Lang, long_time, named, number
from routing.plandoc import PlanDocument

if TYPE_CHECKING:
    from routing.outputs.formats import Context

LABELS: dict[str, dict[Lang, str]] = {
    "title": {"id": "SURAT MUATAN KAPAL REGULER", "en": "CONSIGNMENT NOTE, SCHEDULED SAILING"},
    "plan": {"id": "Rencana", "en": "Plan"},
    "route": {"id": "Rute", "en": "Route"},
    "trip": {"id": "Perjalanan (trip_id)", "en": "Trip (trip_id)"},
    "departs": {"id": "Berangkat", "en": "Departs"},
    "cutoff": {"id": "Muatan paling lambat di dermaga", "en": "Cargo on the quay by"},
    "calls": {"id": "Persinggahan", "en": "Calls"},
    "arrives": {"id": "tiba", "en": "arrives"},
    "hub": {"id": "Turun di", "en": "Landed at"},
    "village": {"id": "Desa", "en": "Village"},
    "district": {"id": "Kecamatan", "en": "District"},
    "tps": {"id": "TPS", "en": "TPS"},
    "boxes": {"id": "Kotak suara", "en": "Ballot boxes"},
    "kg": {"id": "kg", "en": "kg"},
    "m3": {"id": "m3", "en": "m3"},
    "total": {"id": "Jumlah", "en": "Total"},
    "space": {
        "id": "Muatan pemilu {kg} dari {cap} kg, {m3} dari {cap_m3} m3",
        "en": "Election cargo {kg} of {cap} kg, {m3} of {cap_m3} m3",
    },
    "purser": {"id": "Petugas kapal (pengirim)", "en": "Ship's purser (carrier)"},
    "receiver": {"id": "PPK penerima di pelabuhan", "en": "Receiving district office (PPK)"},
    "sign": {"id": "Nama, tanda tangan, jam", "en": "Name, signature, time"},
    "none": {
        "id": "Rencana ini tidak memesan kapal reguler.",
        "en": "This plan books no scheduled sailing.",
    },
}

TEMPLATE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ t.title }}: {{ scenario }}</title>
<style>
body { font: 11pt system-ui, sans-serif; margin: 1.5em; }
section { page-break-after: always; max-width: 60em; }
table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
th, td { border: 1px solid #999; padding: .2em .4em; text-align: left; }
td.n, th.n { text-align: right; }
.sign { display: flex; gap: 2em; margin-top: 2em; }
.sign div { flex: 1; border-top: 1px solid #000; padding-top: .3em; min-height: 4em; }
</style></head><body>
{% for s in sailings %}
<section>
<h1>{{ t.title }}</h1>
<p>{{ t.plan }}: {{ scenario }} &middot; {{ t.route }}: {{ s.route }} &middot;
{{ t.trip }}: <code>{{ s.sailing_id }}</code></p>
<p><strong>{{ t.departs }}:</strong> {{ s.departs }}<br>
<strong>{{ t.cutoff }}:</strong> {{ s.cutoff }}<br>{{ s.space }}</p>
<p><strong>{{ t.calls }}:</strong> {{ s.calls }}</p>
{% for h in s.hubs %}
<h2>{{ t.hub }}: {{ h.name }} ({{ t.arrives }} {{ h.arrives }})</h2>
<table><thead><tr><th>{{ t.village }}</th><th>{{ t.district }}</th><th class="n">{{ t.tps }}</th>
<th class="n">{{ t.boxes }}</th><th class="n">{{ t.kg }}</th><th class="n">{{ t.m3 }}</th>
</tr></thead>
<tbody>{% for r in h.rows %}<tr><td>{{ r.village }}</td><td>{{ r.district }}</td>
<td class="n">{{ r.tps }}</td><td class="n">{{ r.boxes }}</td><td class="n">{{ r.kg }}</td>
<td class="n">{{ r.m3 }}</td></tr>{% endfor %}
<tr><th colspan="2">{{ t.total }}</th><th class="n">{{ h.tps }}</th><th class="n">{{ h.boxes }}</th>
<th class="n">{{ h.kg }}</th><th class="n">{{ h.m3 }}</th></tr></tbody></table>
<div class="sign"><div>{{ t.purser }}<br><small>{{ t.sign }}</small></div>
<div>{{ t.receiver }}: {{ h.name }}<br><small>{{ t.sign }}</small></div></div>
{% endfor %}
</section>
{% else %}
<p>{{ t.none }}</p>
{% endfor %}
</body></html>
"""


def _sailing(s, lang: Lang) -> dict[str, object]:  # s: plandoc.BookedSailing
    return {
        "sailing_id": s.sailing_id,
        "route": f"{s.route_name} ({s.route_id})",
        "departs": long_time(s.calls[0].departure, lang),
        "cutoff": long_time(s.cutoff, lang),
        "space": LABELS["space"][lang].format(
            kg=number(s.weight_kg, lang),
            cap=number(s.capacity_kg, lang),
            m3=number(s.volume_m3, lang, 1),
            cap_m3=number(s.capacity_m3, lang, 1),
        ),
        "calls": " - ".join(named(c.stop_name, c.stop_id) for c in s.calls),
        "hubs": [
            {
                "name": named(h.stop_name, h.stop_id),
                "arrives": long_time(
                    next(c.arrival for c in s.calls if c.stop_id == h.stop_id), lang
                ),
                "tps": h.tps,
                "boxes": h.ballot_boxes,
                "kg": number(h.weight_kg, lang),
                "m3": number(h.volume_m3, lang, 1),
                "rows": [
                    {
                        "village": named(m.village_name, m.village_code),
                        "district": named(m.district_name, m.district_code or ""),
                        "tps": m.tps,
                        "boxes": m.ballot_boxes,
                        "kg": number(m.weight_kg, lang, 1),
                        "m3": number(m.volume_m3, lang, 2),
                    }
                    for m in h.manifest
                ],
            }
            for h in s.loads
        ],
    }


def notes_html(document: PlanDocument, context: Context) -> bytes:
    """``sailings.html``: a consignment note per booked sailing (see the module's text)."""
    lang = context.lang
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    page = env.from_string(TEMPLATE).render(
        lang=lang,
        t={k: v[lang] for k, v in LABELS.items()},
        scenario=document.scenario,
        sailings=[_sailing(s, lang) for s in document.sailings],
    )
    return page.encode("utf-8")


CSV_FIELDS = (
    "sailing_id",
    "trip_id",
    "route_name",
    "departure",
    "cutoff",
    "hub",
    "hub_name",
    "hub_arrival",
    "consignment",
    "village_code",
    "village_name",
    "district_code",
    "district_name",
    "tps",
    "ballot_boxes",
    "weight_kg",
    "volume_m3",
)


def sailings_csv(document: PlanDocument, context: Context) -> bytes:
    """``sailings.csv``: one row per consignment on a booked sailing (RFC 3339 times)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for s in document.sailings:
        for h in s.loads:
            arrival = next(c.arrival for c in s.calls if c.stop_id == h.stop_id)
            for m in h.manifest:
                w.writerow(
                    [
                        s.sailing_id,
                        s.trip_id,
                        s.route_name,
                        s.calls[0].departure.isoformat(),
                        s.cutoff.isoformat(),
                        h.stop_id,
                        h.stop_name or "",
                        arrival.isoformat(),
                        m.consignment,
                        m.village_code,
                        m.village_name or "",
                        m.district_code or "",
                        m.district_name or "",
                        m.tps,
                        m.ballot_boxes,
                        m.weight_kg,
                        m.volume_m3,
                    ]
                )
    return out.getvalue().encode("utf-8")
