"""digests: one message per recipient among the known parties, its alerts in the order
raised, in chunks; summaries and subjects."""

from __future__ import annotations

import json

from deconfliction.channel.alerts import AlertRows, digests


def _rows(*alerts: tuple[str, str, str, str | None, str | None, str | None, str | None]
          ) -> AlertRows:
    """(kind, track, party, owner, other_party, object_id, other_track) each."""
    texts = [json.dumps({"n": i, "track": a[1]}) for i, a in enumerate(alerts)]
    return AlertRows(*(list(c) for c in zip(*alerts, strict=True)), text=texts)


def test_recipients_orders_chunks_and_summaries() -> None:
    rows = _rows(
        ("enter", "rf1", "russia", "coalition", None, "at-tanf", None),
        ("proximity", "co1", "coalition", None, "russia", None, "rf2"),
        ("enter", "rf3", "russia", "coalition", None, "at-tanf", None),
        ("enter", "x1", "stranger", "coalition", None, "z9", None),
        ("nonconforming", "mat1", "mat", "mat", None, "exercise", None),
        ("enter", "rf4", "russia", "coalition", None, "z5", None),
        ("enter", "rf5", "russia", "coalition", None, "z6", None),
    )
    out = digests(rows, {"russia", "coalition", "mat"}, per_message=4)
    got = [(d.recipient, d.subject, d.summary, [e["n"] for e in json.loads(d.events_json)])
           for d in out]
    assert got == [
        ("coalition", None, "4 alerts (3 enter, 1 proximity): tracks rf1, co1, rf3 and 1 more; "
         "at-tanf, track rf2, z9", [0, 1, 2, 3]),
        ("coalition", None, "2 alerts (2 enter): tracks rf4, rf5; z5, z6", [5, 6]),
        ("mat", "exercise", "nonconforming: track mat1 (mat), exercise", [4]),
        ("russia", None, "4 alerts (3 enter, 1 proximity): tracks rf1, co1, rf3 and 1 more; "
         "at-tanf, track rf2, z5", [0, 1, 2, 5]),
        ("russia", "z6", "enter: track rf5 (russia), z6", [6]),
    ]
    assert [d.count for d in out] == [4, 2, 1, 4, 1]


def test_no_known_recipient_no_message() -> None:
    rows = _rows(("enter", "t", "p", "o", None, "z", None))
    assert digests(rows, {"nobody"}) == []
    assert digests(AlertRows.concat(()), {"p"}) == []


def test_rows_of_parts_are_one_after_the_other() -> None:
    a = _rows(("enter", "t1", "p", "o", None, "z", None))
    b = _rows(("enter", "t2", "p", "o", None, "z", None), ("enter", "t3", "p", "o", None, "z",
                                                         None))
    both = AlertRows.concat([a, AlertRows.concat(()), b])
    assert both.track == ["t1", "t2", "t3"] and len(both) == 3
    (d,) = digests(both, {"p"})
    assert d.subject == "z" and d.summary == "3 alerts (3 enter): tracks t1, t2, t3; z"
