"""The At Tanf scenario played through the service: parties with tokens, and the story of
September 2018 as writes on the channel, so a newcomer can log in as each party and see
notices, an objection, a revision and acknowledgements.

The story, as :mod:`deconfliction.scenario.demo` tells it:

1. coalition declares the zone; russia and ocha are told (the zone meets their interests);
2. coalition's live-fire exercise: a live-fire notice to russia (its area of interest);
3. russia's pursuit meets the zone: refused; russia overrides (hot pursuit), coalition
   objects; russia revises the polygon to stay outside, and the conflict is gone;
4. ocha's convoy crosses the zone and the exercise: coalition clears ocha into the zone and
   pauses the exercise for the convoy's window; the convoy is accepted without conflict.

Some notices are left unanswered on purpose: they show as pending in the inboxes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from deconfliction.channel.service import PARTY_SCOPES, Principal, Service
from deconfliction.core.outline import Circle
from deconfliction.core.parties import PartyProfile
from deconfliction.core.timeinterval import TimeInterval
from deconfliction.core.volume import Volume4D
from deconfliction.scenario import attanf

__all__ = ["PROFILES", "load_attanf"]

_REGION = Volume4D(Circle(*attanf.GARRISON, 200_000.0), 0.0, 20_000.0,
                   TimeInterval(datetime(2018, 1, 1, tzinfo=UTC), None))

PROFILES = (
    PartyProfile(id="coalition", name="Coalition (CJTF-OIR)",
                 contact="At Tanf deconfliction cell, line 1", ack_window_s=4 * 3600),
    PartyProfile(id="mat", name="Maghawir al-Thawra", contact="via coalition liaison",
                 escalation_to="coalition", ack_window_s=12 * 3600),
    PartyProfile(id="russia", name="Russian Federation (Hmeimim)",
                 contact="US-Russia deconfliction line", ack_window_s=2 * 3600,
                 interests=(_REGION,)),
    PartyProfile(id="syria", name="Syrian Arab Army", contact="via Russian liaison",
                 escalation_to="russia", ack_window_s=12 * 3600),
    PartyProfile(id="ocha", name="UN OCHA (humanitarian notification)",
                 contact="HNS desk, Damascus", ack_window_s=24 * 3600,
                 interests=(_REGION,)),
)


def _as(party: str) -> Principal:
    return Principal(party, PARTY_SCOPES)


def load_attanf(service: Service, *, actor: str = "server") -> dict[str, str]:
    """Create the parties (with an API token each) and play the story; party -> token."""
    tokens: dict[str, str] = {}
    for profile in sorted(PROFILES, key=lambda p: p.escalation_to is not None):
        service.put_party(actor, profile, create=True)
        tokens[profile.id] = service.issue_token(actor, profile.id)
    co, ru, oc = _as("coalition"), _as("russia"), _as("ocha")
    zone = attanf.at_tanf_zone()
    service.save(co, zone, expected_version=None, create=True)
    service.save(co, attanf.exercise(), expected_version=None, create=True)
    service.save(ru, attanf.naval_drills(), expected_version=None, create=True,
                 seen=service.versions())
    first = service.save(ru, attanf.pursuit(), expected_version=None, create=True,
                         seen=service.versions(),
                         override="hot pursuit of militants fleeing south from Palmyra")
    for _, msg in service.inbox(co, pending_only=True):
        if msg.subject == "pursuit":
            service.answer(co, msg.id, "object", "the pursuit enters the At Tanf zone: stay out")
    revised = attanf.pursuit_revised()
    service.save(ru, revised.revised(), expected_version=first.object["version"],
                 create=False, seen=service.versions())
    window = (datetime(2018, 9, 12, 6, tzinfo=UTC), datetime(2018, 9, 12, 18, tzinfo=UTC))
    current = service.get(co, zone.id, "zone")["version"]
    service.save(co, zone.revised(allowed=zone.allowed | {"ocha"}),
                 expected_version=current, create=False)
    current = service.get(co, "exercise", "operation")["version"]
    service.save(co, attanf.exercise(paused=window), expected_version=current, create=False,
                 seen=service.versions())
    service.save(oc, attanf.convoy(window), expected_version=None, create=True,
                 seen=service.versions())
    return tokens
