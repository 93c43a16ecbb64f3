"""Messages of the deconfliction channel: what one party is told, and how it answers.

Every event that concerns another party becomes a :class:`Message` to it. A message is
*pending* until its recipient answers ``ack``, ``object`` (with a reason) or
``request-change`` (with a reason). Nothing expires: a pending message past its deadline is
*escalated* (once) and stays pending until answered.

>>> from datetime import datetime, timezone
>>> t0 = datetime(2018, 9, 1, 12, tzinfo=timezone.utc)
>>> m = Message(id="m1", recipient="russia", sender="coalition", kind=MessageKind.OPERATION,
...             subject="exercise", subject_version="v1", summary="new operation",
...             created_at=t0, deadline_at=datetime(2018, 9, 2, 12, tzinfo=timezone.utc))
>>> m.pending, m.overdue(datetime(2018, 9, 2, 12, tzinfo=timezone.utc))
(True, True)
>>> a = m.answered(Answer.OBJECT, "our patrol is there", t0)
>>> a.state.value, a.pending
('objected', False)
>>> m.answered(Answer.OBJECT, "", t0)
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: reason: an objection needs a reason
>>> a.answered(Answer.ACK, "", t0)
Traceback (most recent call last):
...
deconfliction.core.errors.ConflictStateError: state: message m1 was already answered (objected)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from deconfliction.core.errors import ConflictStateError, ValidationError

__all__ = ["MAX_REASON_CHARS", "Answer", "Message", "MessageKind", "MessageState"]

#: the longest reason or justification accepted
MAX_REASON_CHARS = 2_000


class MessageKind(StrEnum):
    """What a message is about."""

    ZONE = "zone"  # a zone was declared or changed where the recipient has interests
    OPERATION = "operation"  # an operation was declared or changed near the recipient
    CONFLICT = "conflict"  # a write conflicts with the recipient's object
    OVERRIDE = "override"  # a conflicting write was forced through, with a justification
    LIVE_FIRE = "live_fire"  # a live-fire or exercise notice
    CANCELLATION = "cancellation"  # an operation was cancelled or a zone withdrawn
    ESCALATION = "escalation"  # a message went unanswered past its deadline
    ALERT = "alert"  # a live-monitoring alert


class MessageState(StrEnum):
    """Where a message is in its life."""

    PENDING = "pending"
    ACKED = "acked"
    OBJECTED = "objected"
    CHANGE_REQUESTED = "change_requested"


class Answer(StrEnum):
    """What a recipient may answer."""

    ACK = "ack"
    OBJECT = "object"
    REQUEST_CHANGE = "request-change"


_STATE_OF = {
    Answer.ACK: MessageState.ACKED,
    Answer.OBJECT: MessageState.OBJECTED,
    Answer.REQUEST_CHANGE: MessageState.CHANGE_REQUESTED,
}


def check_reason(reason: str, *, required: bool, what: str, field_name: str = "reason") -> str:
    """``reason`` stripped; ``REASON_REQUIRED`` if empty but needed, ``REASON_TOO_LONG``.

    >>> check_reason("  why  ", required=True, what="an override")
    'why'
    """
    text = reason.strip()
    if required and not text:
        raise ValidationError("REASON_REQUIRED", f"{what} needs a reason", field_name)
    if len(text) > MAX_REASON_CHARS:
        raise ValidationError(
            "REASON_TOO_LONG", f"at most {MAX_REASON_CHARS} characters", field_name
        )
    return text


@dataclass(frozen=True, slots=True)
class Message:
    """One message to one recipient; times are UTC."""

    id: str
    recipient: str
    sender: str
    kind: MessageKind
    subject: str | None
    subject_version: str | None
    summary: str
    created_at: datetime
    deadline_at: datetime | None
    details: dict[str, Any] = field(default_factory=dict)
    state: MessageState = MessageState.PENDING
    answer_reason: str = ""
    answered_at: datetime | None = None
    delivered_at: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def pending(self) -> bool:
        """Not answered yet."""
        return self.state is MessageState.PENDING

    def overdue(self, now: datetime) -> bool:
        """Pending with its deadline at or before ``now``."""
        return self.pending and self.deadline_at is not None and self.deadline_at <= now

    def answered(self, answer: Answer | str, reason: str, at: datetime) -> Message:
        """This message answered; ``ALREADY_ANSWERED`` if it was."""
        try:
            ans = Answer(answer)
        except ValueError:
            choices = ", ".join(a.value for a in Answer)
            raise ValidationError(
                "BAD_ANSWER", f"{answer!r} is not an answer ({choices})", "answer"
            ) from None
        if not self.pending:
            raise ConflictStateError(
                "ALREADY_ANSWERED",
                f"message {self.id} was already answered ({self.state.value})",
                "state",
            )
        what = {Answer.ACK: "an acknowledgement", Answer.OBJECT: "an objection",
                Answer.REQUEST_CHANGE: "a change request"}[ans]
        text = check_reason(reason, required=ans is not Answer.ACK, what=what)
        return replace(self, state=_STATE_OF[ans], answer_reason=text, answered_at=at)
