"""The At Tanf simulator fed to a running service: ``POST /reports``, paced like the tracks.

What ``make run`` starts next to the service, so that a newcomer sees alerts arrive (in the
terminal, in the parties' inboxes and on their SSE streams): each party posts its own
tracks with its own token, one batch per simulated ``step_s``, ``speed`` times faster than
real time. Reports keep the scenario's times (2018-09-13), when its zone and operations
are in force.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from deconfliction.monitor.alerting import is_alert
from deconfliction.monitor.batch import TrackBatch
from deconfliction.monitor.simulate import attanf_tracks
from deconfliction.monitor.sources.native import batch_to_jsonl

__all__ = ["feed", "wait_ready"]

def wait_ready(client: Any, url: str, timeout_s: float = 120.0,
               sleep: Callable[[float], None] = time.sleep) -> bool:
    """Wait until ``url``/healthz answers 200; ``False`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if client.get(f"{url}/healthz").status_code == 200:
                return True
        except OSError:
            pass
        except Exception as err:  # httpx's transport errors
            if "Connect" not in type(err).__name__:
                raise
        sleep(0.5)
    return False


def feed(client: Any, url: str, tokens: dict[str, str], *, speed: float = 4.0,
         batches: Iterable[TrackBatch] | None = None,
         sleep: Callable[[float], None] = time.sleep,
         say: Callable[[str], None] = print) -> int:
    """Post ``batches`` (default: the At Tanf tracks) to ``url``/reports, each party's
    reports with its token, paced at ``speed`` times real time (0: no pauses); the alert
    messages sent, and one line per alert event through ``say``."""
    started = time.monotonic()
    t0: float | None = None
    sent = 0
    for batch in attanf_tracks() if batches is None else batches:
        if not len(batch):
            continue
        t = float(batch.t_s.min())
        t0 = t if t0 is None else t0
        if speed > 0:
            wait = started + (t - t0) / speed - time.monotonic()
            if wait > 0:
                sleep(wait)
        for party in sorted(set(batch.party.tolist())):
            token = tokens.get(party)
            if token is None:
                raise KeyError(f"no token for party {party!r}")
            part = batch.take(np.nonzero(batch.party == party)[0])
            r = client.post(f"{url}/reports", content=batch_to_jsonl(part), headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
            r.raise_for_status()
            body = r.json()
            sent += len(body["messages"])
            for e in body["events"]:
                if is_alert(e["kind"], e["details"]):
                    what = e["object_id"] or f"track {e['other_track']}"
                    say(f"alert: {e['kind']:13s} track {e['track']} ({e['party']}) {what} "
                        f"at {time.strftime('%H:%M:%SZ', time.gmtime(e['t_s']))}")
    return sent
