"""Live monitoring: position reports checked against every zone and operation.

* :mod:`deconfliction.monitor.engine`: :class:`Monitor`, reports in, events out (``enter``,
  ``exit``, ``inside``, ``predicted``, ``nonconforming``, ``proximity``, ``stale``);
* :mod:`deconfliction.monitor.events`: :class:`Event`, :class:`EventTable` (the same as
  columns), :class:`MonitorConfig`;
* :mod:`deconfliction.monitor.fences`: enter/exit/inside state per (track, volume), with
  hysteresis and expiry; :mod:`deconfliction.monitor.margins`: how far inside or outside;
* :mod:`deconfliction.monitor.predict`: predicted entries along a track's course;
* :mod:`deconfliction.monitor.proximity`: closest point of approach between tracks;
* :mod:`deconfliction.monitor.tracks`: track state, report order and duplicates;
* :mod:`deconfliction.monitor.simulate`: the At Tanf scenario's live tracks;
* :mod:`deconfliction.monitor.batch`: :class:`TrackBatch`, what every source produces;
* :mod:`deconfliction.monitor.grid`: :class:`ZoneGrid`, which volumes hold each report of a
  batch, exactly, at millions of reports per second;
* :mod:`deconfliction.monitor.rows`: volumes as flat rows and what each row stands for;
* :mod:`deconfliction.monitor.reports`: report batches, checked at the edge;
* :mod:`deconfliction.monitor.chords`: the proven chord bounds behind the fast path;
* :mod:`deconfliction.monitor.kernels`: the compiled loops.
"""

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.engine import Monitor, MonitorStats
from deconfliction.monitor.events import Event, EventTable, MonitorConfig
from deconfliction.monitor.grid import GridStats, ZoneGrid
from deconfliction.monitor.rows import RowInfo

__all__ = ["Event", "EventTable", "GridStats", "Monitor", "MonitorConfig", "MonitorStats",
           "RowInfo", "TrackBatch", "ZoneGrid"]
