"""Track sources: files and streams of position reports turned into TrackBatch chunks.

* :func:`read_csv`, :func:`read_jsonl`, :func:`read_parquet` (:mod:`.files`): ADS-B style
  files (OpenSky state vectors and the like); names, units and datums in :mod:`.options`;
* :func:`read_ais` (:mod:`.ais`): raw AIS NMEA sentences;
* :func:`batch_from_jsonl` (:mod:`.native`): the HTTP batch endpoint's strict JSON lines;
* :func:`read_file` (:mod:`.dispatch`): any of the above by extension.

Every reader refuses a bad row with :class:`RowError` (a ``ValidationError`` with a stable
code and the line number), or with ``skip_bad`` drops it and counts it in :class:`ReadStats`.
"""

from deconfliction.monitor.sources.ais import read_ais
from deconfliction.monitor.sources.dispatch import detect_format, read_file
from deconfliction.monitor.sources.files import read_csv, read_jsonl, read_parquet
from deconfliction.monitor.sources.native import batch_from_jsonl, batch_to_jsonl
from deconfliction.monitor.sources.options import ReadOptions, ReadStats, RowError

__all__ = ["ReadOptions", "ReadStats", "RowError", "batch_from_jsonl", "batch_to_jsonl",
           "detect_format",
           "read_ais", "read_csv", "read_file", "read_jsonl", "read_parquet"]
