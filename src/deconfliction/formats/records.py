"""Parties and messages as JSON data: how the store keeps them and the API shows them.

>>> from deconfliction.core.parties import PartyProfile
>>> p = party_from_dict(party_to_dict(PartyProfile(id="russia", name="RU", contact="ops")))
>>> p.id, p.contact, p.role
('russia', 'ops', 'party')
>>> party_from_dict({"id": "x", "name": "", "role": 3})
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: role: expected a string, got a number
"""

from __future__ import annotations

from typing import Any

from deconfliction.core.messages import Message, MessageKind, MessageState
from deconfliction.core.parties import DEFAULT_ACK_WINDOW_S, PartyProfile
from deconfliction.core.timeinterval import parse_utc
from deconfliction.formats._fields import (
    at,
    finite,
    iso_z,
    mapping,
    prefixed,
    sequence,
    string,
    time_or_none,
)
from deconfliction.formats.native import volume_from_dict, volume_to_dict

__all__ = ["message_from_dict", "message_to_dict", "party_from_dict", "party_to_dict"]


def _opt_str(value: object, field: str) -> str | None:
    return None if value is None else string(value, field)


def party_to_dict(party: PartyProfile) -> dict[str, Any]:
    """The party as JSON data."""
    return {
        "id": party.id,
        "name": party.name,
        "role": party.role,
        "contact": party.contact,
        "escalation_to": party.escalation_to,
        "ack_window_s": party.ack_window_s,
        "webhook_url": party.webhook_url,
        "interests": [volume_to_dict(v) for v in party.interests],
    }


def party_from_dict(data: object) -> PartyProfile:
    """A party from JSON data; unknown keys are ignored, missing ones take defaults."""
    d = mapping(data, "")
    interests = []
    for i, item in enumerate(sequence(d.get("interests", []), "interests")):
        with prefixed(at("interests", i)):
            interests.append(volume_from_dict(item))
    return PartyProfile(
        id=string(d.get("id"), "id"),
        name=string(d.get("name", ""), "name"),
        role=string(d.get("role", "party"), "role"),
        contact=string(d.get("contact", ""), "contact"),
        escalation_to=_opt_str(d.get("escalation_to"), "escalation_to"),
        ack_window_s=finite(d.get("ack_window_s", DEFAULT_ACK_WINDOW_S), "ack_window_s"),
        webhook_url=_opt_str(d.get("webhook_url"), "webhook_url"),
        interests=tuple(interests),
    )


def message_to_dict(msg: Message) -> dict[str, Any]:
    """The message as JSON data (times ISO 8601 UTC with ``Z``)."""
    return {
        "id": msg.id,
        "recipient": msg.recipient,
        "sender": msg.sender,
        "kind": msg.kind.value,
        "subject": msg.subject,
        "subject_version": msg.subject_version,
        "summary": msg.summary,
        "details": msg.details,
        "created_at": iso_z(msg.created_at),
        "deadline_at": iso_z(msg.deadline_at),
        "state": msg.state.value,
        "answer_reason": msg.answer_reason,
        "answered_at": iso_z(msg.answered_at),
        "delivered_at": iso_z(msg.delivered_at),
        "escalated_at": iso_z(msg.escalated_at),
    }


def message_from_dict(data: object) -> Message:
    """A message from the JSON data of :func:`message_to_dict`."""
    d = mapping(data, "")
    created = parse_utc(string(d.get("created_at"), "created_at"), "created_at")
    details = d.get("details") or {}
    return Message(
        id=string(d.get("id"), "id"),
        recipient=string(d.get("recipient"), "recipient"),
        sender=string(d.get("sender"), "sender"),
        kind=MessageKind(string(d.get("kind"), "kind")),
        subject=_opt_str(d.get("subject"), "subject"),
        subject_version=_opt_str(d.get("subject_version"), "subject_version"),
        summary=string(d.get("summary", ""), "summary"),
        details=dict(mapping(details, "details")),
        created_at=created,
        deadline_at=time_or_none(d.get("deadline_at"), "deadline_at"),
        state=MessageState(string(d.get("state", "pending"), "state")),
        answer_reason=string(d.get("answer_reason", ""), "answer_reason"),
        answered_at=time_or_none(d.get("answered_at"), "answered_at"),
        delivered_at=time_or_none(d.get("delivered_at"), "delivered_at"),
        escalated_at=time_or_none(d.get("escalated_at"), "escalated_at"),
    )
