"""Reading and writing zones, operations and volumes: native JSON, GeoJSON and ASTM F3548.

Every reader takes parsed JSON (``dict``/``list``) and raises
:class:`~deconfliction.core.errors.ValidationError` whose ``field`` is the path of the bad
value in the document (``volumes[1].outline.radius_m``,
``features[2].properties.alt_lower_m``). :func:`load_objects` reads a file or a document in
any of the three formats.
"""

from deconfliction.formats.detect import load_objects, read_json, sniff

__all__ = ["load_objects", "read_json", "sniff"]
