"""Webhook delivery: messages pushed to a party's URL, retried with exponential back-off
until its server answers 2xx. A message stays in the outbox (and in ``/inbox``) whatever
happens here; the webhook is an extra path, never the only one.

Each POST carries the message as JSON, its id in ``X-Deconfliction-Message`` (receivers
de-duplicate on it: a delivery whose answer was lost is sent again) and an Ed25519 signature
of the body by the server's key in ``X-Deconfliction-Signature``.

>>> backoff_s(1, cap_s=300.0), backoff_s(5, cap_s=300.0), backoff_s(20, cap_s=300.0)
(1.0, 16.0, 300.0)
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime

import httpx

from deconfliction.channel.service import Service
from deconfliction.core.messages import Message
from deconfliction.formats.records import message_to_dict

__all__ = ["backoff_s", "deliver_due"]

log = logging.getLogger("deconfliction.webhooks")


def backoff_s(attempts: int, *, cap_s: float) -> float:
    """Seconds to wait after the ``attempts``-th failure: 1, 2, 4, … up to ``cap_s``."""
    return float(min(cap_s, 2.0 ** max(0, attempts - 1)))


def _post(client: httpx.Client, service: Service, url: str, msg: Message) -> str | None:
    body = json.dumps(message_to_dict(msg), separators=(",", ":")).encode()
    sig = base64.urlsafe_b64encode(service.signing_key.sign(body)).rstrip(b"=").decode()
    try:
        r = client.post(url, content=body, headers={
            "Content-Type": "application/json", "X-Deconfliction-Message": msg.id,
            "X-Deconfliction-Signature": f"ed25519={sig}",
        })
    except httpx.HTTPError as err:
        return f"{type(err).__name__}: {err}"
    return None if 200 <= r.status_code < 300 else f"HTTP {r.status_code}"


def deliver_due(service: Service, client: httpx.Client, *, max_backoff_s: float = 300.0,
                limit: int = 100, lease_s: float | None = None) -> int:
    """Try every due delivery once (up to ``limit``); how many succeeded.

    Each delivery is first claimed in a write transaction (its next try pushed ``lease_s``
    ahead: by default the client's timeout and 5 s more), so with several server processes
    on one database each message is sent by one of them; if this process dies with a
    delivery claimed, another (or its restart) tries again when the lease ends.
    """
    if lease_s is None:
        timeout = client.timeout.read
        lease_s = (timeout if timeout is not None else 30.0) + 5.0
    ok = 0
    service.catch_up()  # parties (and their URLs) written by other processes
    for _ in range(limit):
        now: datetime = service.clock()
        with service.store.write() as tx:
            claimed = tx.claim_webhooks(now.timestamp(), now.timestamp() + lease_s)
        if not claimed:
            break
        msg = claimed[0]
        party = service.parties_by_id().get(msg.recipient)
        url = party.webhook_url if party is not None else None
        error = "the party has no webhook URL" if url is None else _post(client, service, url,
                                                                          msg)
        with service.store.write() as tx:
            attempts = tx.webhook_attempts(msg.id) + 1
            if error is None:
                tx.webhook_result(msg.id, ok=True)
                ok += 1
            else:
                tx.webhook_result(
                    msg.id, ok=False, error=error,
                    next_s=service.clock().timestamp() + backoff_s(attempts, cap_s=max_backoff_s))
        if error is None:
            service.note_delivered(msg)
        else:
            log.info("webhook %s -> %s failed (%s), attempt %d", msg.id, url, error, attempts)
    return ok
