"""The track table: party codes follow each track's party, and a reused slot starts
unknown."""

from __future__ import annotations

from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.tracks import TrackTable, commit, prepare


def _step(tracks: TrackTable, names: list[str], parties: list[str], t: float) -> None:
    batch = TrackBatch.of(track=names, party=parties, t_s=[t] * len(names),
                          lat=[33.5] * len(names), lon=[38.6] * len(names))
    commit(prepare(batch, tracks), tracks)


def _codes(tracks: TrackTable) -> dict[str, int]:
    return {n: int(tracks.pcode[s]) for n, s in tracks.ids.items()}


def test_party_codes_follow_the_party_and_a_reused_slot_starts_unknown() -> None:
    tracks = TrackTable()
    _step(tracks, ["a", "b", "c"], ["us", "ru", ""], 0.0)
    us, ru = tracks.party_codes["us"], tracks.party_codes["ru"]
    assert _codes(tracks) == {"a": us, "b": ru, "c": -1}
    _step(tracks, ["a", "b"], ["us", "us"], 1.0)  # b's party changed, a's did not
    assert _codes(tracks) == {"a": us, "b": us, "c": -1}
    _step(tracks, ["c"], ["ru"], 2.0)  # an unknown party becomes known
    assert _codes(tracks)["c"] == ru
    tracks.drop(tracks.slots(tracks.name[[tracks.ids["b"]]]))
    _step(tracks, ["d"], [""], 3.0)  # d takes b's slot: unknown, not b's party
    assert _codes(tracks) == {"a": us, "c": ru, "d": -1}
    _step(tracks, ["d"], ["xx"], 4.0)
    assert _codes(tracks)["d"] == tracks.party_codes["xx"] not in (us, ru)
