"""Where the country borders come from: the ``world-atlas`` TopoJSON the web map draws.

By default the file is the map's vendored copy, ``web/vendor/world-atlas/countries-50m.json``
(``make web`` puts it there); the environment variable ``DECONFLICTION_BORDERS`` names
another world-atlas file (``countries-110m.json``, ``countries-10m.json``). Each file is read
once per process. Without it, clipping fails with ``BORDERS_UNAVAILABLE``.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

from deconfliction.core.borders import Atlas
from deconfliction.core.errors import DeconflictionError

__all__ = ["BORDERS_ENV", "DEFAULT_BORDERS", "BordersUnavailableError", "borders_path",
           "load_atlas"]

BORDERS_ENV = "DECONFLICTION_BORDERS"
DEFAULT_BORDERS = Path(__file__).parent / "web" / "vendor" / "world-atlas" / "countries-50m.json"


class BordersUnavailableError(DeconflictionError):
    """The country borders cannot be read (``BORDERS_UNAVAILABLE``)."""

    def __init__(self, message: str) -> None:
        super().__init__("BORDERS_UNAVAILABLE", message, "clip_to")


def borders_path(path: str | Path | None = None) -> Path:
    """``path``, else ``$DECONFLICTION_BORDERS``, else the web map's vendored file."""
    return Path(path or os.environ.get(BORDERS_ENV) or DEFAULT_BORDERS)


def load_atlas(path: str | Path | None = None) -> Atlas:
    """The countries of the borders file (read once per process and path)."""
    return _load(str(borders_path(path).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> Atlas:
    try:
        with open(path, encoding="utf-8") as f:
            return Atlas.from_topojson(json.load(f))
    except FileNotFoundError:
        raise BordersUnavailableError(
            f"no country borders at {path} (run `make web`, or set {BORDERS_ENV} to a "
            "world-atlas countries-*.json file)") from None
    except (OSError, ValueError, KeyError, TypeError, IndexError) as err:
        raise BordersUnavailableError(f"cannot read the country borders in {path}: {err}") from None
