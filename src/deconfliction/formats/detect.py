"""Which format a JSON document is in, and reading any of them into objects.

* **native**: an object with ``"object"`` (or with ``"volumes"`` whose items have an
  ``"outline"``), a list of them, or ``{"objects": [...]}``;
* **geojson**: a ``Feature`` or a ``FeatureCollection``;
* **f3548**: an F3548 ``Volume4D`` (has ``"volume"``), a list of them, or
  ``{"volumes": [...]}`` / ``{"extents": [...]}`` whose items have ``"volume"``.

>>> sniff({"type": "FeatureCollection", "features": []})
'geojson'
>>> sniff({"volumes": [{"volume": {}}]}), sniff([{"object": "zone"}])
('f3548', 'native')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from deconfliction.core.errors import ValidationError
from deconfliction.core.objects import Operation, OperationState, Zone
from deconfliction.formats.f3548 import object_from_f3548
from deconfliction.formats.geojson import objects_from_geojson
from deconfliction.formats.native import Borders, objects_from_native

__all__ = ["Format", "load_objects", "read_json", "sniff"]

Format = Literal["native", "geojson", "f3548"]


def _item_format(item: object) -> Format | None:
    if not isinstance(item, Mapping):
        return None
    if "object" in item or "outline" in item:
        return "native"
    if "volume" in item:
        return "f3548"
    if "volumes" in item or "extents" in item:
        items = item.get("volumes", item.get("extents"))
        first = items[0] if isinstance(items, list) and items else None
        if isinstance(first, Mapping) and "volume" in first:
            return "f3548"
        return "native"
    return None


def sniff(data: object) -> Format:
    """The format of a parsed JSON document, else ``UNKNOWN_FORMAT``."""
    if isinstance(data, Mapping):
        if data.get("type") in ("Feature", "FeatureCollection"):
            return "geojson"
        if "objects" in data and "volumes" not in data:
            return "native"
        found = _item_format(data)
    elif isinstance(data, list) and data:
        found = _item_format(data[0])
    else:
        found = None
    if found is None:
        raise ValidationError(
            "UNKNOWN_FORMAT",
            "not a native object, GeoJSON Feature/FeatureCollection or F3548 volume list",
            None,
        )
    return found


def read_json(path: str | Path) -> object:
    """Parse the JSON file at ``path``; ``FILE_UNREADABLE`` or ``BAD_JSON`` on failure."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise ValidationError("FILE_UNREADABLE", f"cannot read {p}: {reason}", None) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ValidationError(
            "BAD_JSON", f"{p} is not valid JSON: {err.msg} at line {err.lineno} "
            f"column {err.colno}", None
        ) from None
    except RecursionError:
        raise ValidationError("BAD_JSON", f"{p} is nested too deeply", None) from None


def load_objects(
    path_or_data: str | Path | object,
    default_object: str = "operation",
    owner: str | None = None,
    default_state: OperationState | str | None = None,
    borders: Borders | None = None,
) -> list[Zone | Operation]:
    """Zones and operations from a JSON file (a ``str`` or ``Path``) or a parsed document.

    ``default_object`` is used where the document does not say whether it holds zones or
    operations, ``owner`` where it names no owner (an F3548 volume list never does) and
    ``default_state`` for operations that state none (otherwise ``draft``); ``borders`` for
    native zones that ask to be clipped (``clip_to``).
    """
    data = read_json(path_or_data) if isinstance(path_or_data, str | Path) else path_or_data
    fmt = sniff(data)
    if fmt == "geojson":
        return objects_from_geojson(
            data, default_object=default_object, owner=owner, default_state=default_state
        )
    if fmt == "f3548":
        return [object_from_f3548(
            data, default_object=default_object, owner=owner, default_state=default_state
        )]
    return objects_from_native(
        data, default_object=default_object, owner=owner, default_state=default_state,
        borders=borders,
    )
