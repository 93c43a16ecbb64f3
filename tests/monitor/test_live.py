"""LiveMonitor and the monitor's forks and track snapshots, which the stream workers build on:
a fork watches the same objects with no tracks and shares the built grids; a monitor whose
tracks are restored from a pickled snapshot goes on exactly as the one it was taken from."""

from __future__ import annotations

import pickle

from deconfliction.monitor.engine import Monitor
from deconfliction.monitor.simulate import attanf_objects, attanf_tracks


def _events(m: Monitor, batches: list) -> list[dict[str, object]]:  # type: ignore[type-arg]
    out = []
    for b in batches:
        out += [e.to_dict() for e in m.ingest(b) + m.flush(float(b.t_s.max()))]
    return out


def test_a_fork_has_no_tracks_and_finds_what_a_new_monitor_finds() -> None:
    batches = list(attanf_tracks())
    first = Monitor(attanf_objects())
    want = _events(first, batches)
    assert want and first.tracks == 4
    fork = first.fork()
    assert fork.tracks == 0
    assert fork._grid._built is first._grid._built  # shared, not rebuilt
    assert _events(fork, batches) == want
    assert _events(Monitor(attanf_objects()), batches) == want


def test_a_forks_objects_change_without_touching_the_original() -> None:
    first = Monitor(attanf_objects())
    fork = first.fork()
    fork.set_objects(attanf_objects()[:1], 0.0)
    batches = list(attanf_tracks())
    reasons = {e["details"]["reason"] for e in _events(fork, batches)  # type: ignore[index]
               if e["kind"] == "nonconforming"}
    assert reasons == {"unknown_operation"}  # the fork no longer knows the exercise
    assert _events(first, batches) == _events(Monitor(attanf_objects()), batches)


def test_restored_tracks_go_on_as_the_snapshotted_monitor() -> None:
    batches = list(attanf_tracks())
    whole = Monitor(attanf_objects())
    want = _events(whole, batches)
    first = Monitor(attanf_objects())
    head = _events(first, batches[:40])
    again = first.fork()
    again.restore_tracks(pickle.loads(pickle.dumps(first.track_state())))
    assert head + _events(again, batches[40:]) == want
