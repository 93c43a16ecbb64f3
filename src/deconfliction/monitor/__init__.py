"""Live monitoring: position reports checked against every zone and operation.

* :mod:`deconfliction.monitor.grid`: :class:`ZoneGrid`, which volumes hold each report of a
  batch, exactly, at millions of reports per second;
* :mod:`deconfliction.monitor.rows`: volumes as flat rows and what each row stands for;
* :mod:`deconfliction.monitor.reports`: report batches, checked at the edge;
* :mod:`deconfliction.monitor.chords`: the proven chord bounds behind the fast path;
* :mod:`deconfliction.monitor.kernels`: the compiled loops.
"""

from deconfliction.monitor.grid import GridStats, ZoneGrid
from deconfliction.monitor.rows import RowInfo

__all__ = ["GridStats", "RowInfo", "ZoneGrid"]
