from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from routing.errors import DataError
from routing.inputs.geodata import load_dataset, parse_dataset


def _broken(arch) -> dict:
    feats = copy.deepcopy(arch.features)
    villages = feats["villages"]
    # A self-intersecting "bow-tie" polygon.
    villages[0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]],
    }
    villages[1]["properties"]["code"] = villages[2]["properties"]["code"]
    villages[3]["properties"]["tps"] = -4
    villages[4]["properties"]["island_code"] = None
    return feats


def test_broken_dataset_fails_once_listing_every_problem(arch) -> None:
    with pytest.raises(DataError) as err:
        parse_dataset(_broken(arch))
    codes = {p.code for p in err.value.problems}
    assert codes >= {
        "invalid_geometry",
        "duplicate_code",
        "negative_value",
        "village_without_island",
    }
    message = str(err.value)
    assert "Self-intersection" in message
    assert "/tps" in message


def test_load_reports_missing_files(tmp_path: Path, arch) -> None:
    (tmp_path / "islands.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": []})
    )
    with pytest.raises(DataError) as err:
        load_dataset(tmp_path)
    assert {p.path for p in err.value.problems} == {"/villages", "/landing_points", "/depots"}


def test_sea_village_without_landing_point(arch) -> None:
    feats = copy.deepcopy(arch.features)
    sea = next(f for f in feats["villages"] if f["properties"]["sea"])
    sea["properties"]["landing_point_id"] = "nowhere"
    with pytest.raises(DataError, match="missing_landing_point"):
        parse_dataset(feats)
