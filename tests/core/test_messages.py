"""Messages and party profiles: answers, deadlines, validation; their JSON round trips."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deconfliction.core.errors import ConflictStateError, ValidationError
from deconfliction.core.messages import (
    MAX_REASON_CHARS,
    Answer,
    Message,
    MessageKind,
    MessageState,
)
from deconfliction.core.parties import PartyProfile
from deconfliction.formats.records import (
    message_from_dict,
    message_to_dict,
    party_from_dict,
    party_to_dict,
)
from sample_objects import at_tanf_zone

T0 = datetime(2018, 9, 7, tzinfo=UTC)


def _msg(deadline: datetime | None = T0 + timedelta(hours=1)) -> Message:
    return Message(id="m1", recipient="russia", sender="coalition", kind=MessageKind.LIVE_FIRE,
                   subject="exercise", subject_version="v", summary="s", created_at=T0,
                   deadline_at=deadline)


@pytest.mark.parametrize(("answer", "state"), [
    ("ack", MessageState.ACKED), ("object", MessageState.OBJECTED),
    ("request-change", MessageState.CHANGE_REQUESTED), (Answer.ACK, MessageState.ACKED),
])
def test_answers(answer: str, state: MessageState) -> None:
    done = _msg().answered(answer, "  a reason  ", T0)
    assert done.state is state and done.answered_at == T0 and not done.pending
    assert done.answer_reason == "a reason"


def test_reasons_are_required_and_bounded() -> None:
    for answer in ("object", "request-change"):
        with pytest.raises(ValidationError) as err:
            _msg().answered(answer, "   ", T0)
        assert err.value.code == "REASON_REQUIRED"
    with pytest.raises(ValidationError) as err:
        _msg().answered("ack", "x" * (MAX_REASON_CHARS + 1), T0)
    assert err.value.code == "REASON_TOO_LONG"
    with pytest.raises(ValidationError) as err:
        _msg().answered("maybe", "", T0)
    assert (err.value.code, err.value.field) == ("BAD_ANSWER", "answer")


def test_an_answer_is_final() -> None:
    done = _msg().answered("ack", "", T0)
    with pytest.raises(ConflictStateError) as err:
        done.answered("object", "changed my mind", T0)
    assert err.value.code == "ALREADY_ANSWERED"


def test_overdue_is_half_open_at_the_deadline() -> None:
    m = _msg()
    assert not m.overdue(T0 + timedelta(minutes=59))
    assert m.overdue(T0 + timedelta(hours=1))
    assert not _msg(deadline=None).overdue(T0 + timedelta(days=999))
    assert not m.answered("ack", "", T0).overdue(T0 + timedelta(days=1))


def test_message_json_round_trip() -> None:
    m = _msg().answered("object", "ünïcode reason", T0)
    assert message_from_dict(message_to_dict(m)) == m


@pytest.mark.parametrize(("changes", "code", "field"), [
    ({"id": "Bad Id"}, "BAD_PARTY", "id"),
    ({"role": "king"}, "BAD_ROLE", "role"),
    ({"escalation_to": "russia"}, "BAD_ESCALATION", "escalation_to"),
    ({"ack_window_s": float("nan")}, "BAD_ACK_WINDOW", "ack_window_s"),
    ({"ack_window_s": -1.0}, "BAD_ACK_WINDOW", "ack_window_s"),
    ({"webhook_url": "ftp://x"}, "BAD_URL", "webhook_url"),
    ({"contact": "x" * 501}, "TOO_LONG", "contact"),
])
def test_party_validation(changes: dict[str, object], code: str, field: str) -> None:
    args: dict[str, object] = {"id": "russia", "name": "Russia", **changes}
    with pytest.raises(ValidationError) as err:
        PartyProfile(**args)  # type: ignore[arg-type]
    assert (err.value.code, err.value.field) == (code, field)


def test_party_json_round_trip_with_interests() -> None:
    p = PartyProfile(id="ocha", name="UN OCHA", role="party", contact="desk",
                     escalation_to="coalition", ack_window_s=86_400.0,
                     webhook_url="http://127.0.0.1:9/hook", interests=at_tanf_zone().volumes)
    assert party_from_dict(party_to_dict(p)) == p
    assert PartyProfile(id="a", name="", role="admin").admin
