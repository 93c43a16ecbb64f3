"""The service's settings, declared once: name, default, help.

Each setting is read, in order of precedence, from a command-line flag (``--db``), the
environment (``DECONFLICTION_DB``) and its default. The CLI builds its ``serve`` options from
:data:`SETTINGS`; nothing else lists them.

>>> s = Settings.load({"port": "9000"}, environ={"DECONFLICTION_DB": "/tmp/x.db"})
>>> s.port, s.db, s.host
(9000, '/tmp/x.db', '127.0.0.1')
>>> Settings.load({"port": "http"})
Traceback (most recent call last):
...
deconfliction.core.errors.ValidationError: port: expected an integer, got 'http'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from deconfliction.core.errors import ValidationError

__all__ = ["SETTINGS", "Setting", "Settings"]


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: its name, type, default and help."""

    name: str
    type: type
    default: Any
    help: str

    @property
    def env(self) -> str:
        """Its environment variable."""
        return "DECONFLICTION_" + self.name.upper()

    @property
    def flag(self) -> str:
        """Its command-line flag."""
        return "--" + self.name.replace("_", "-")

    def parse(self, raw: object) -> Any:
        """``raw`` (a string from a flag or the environment, or a value) as this type."""
        if raw is None or (isinstance(raw, self.type) and not isinstance(raw, bool | str)):
            return raw
        text = str(raw).strip()
        if self.type is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValidationError("BAD_SETTING", f"expected true or false, got {text!r}",
                                  self.name)
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                raise ValidationError("BAD_SETTING", f"expected an integer, got {text!r}",
                                      self.name) from None
        if self.type is float:
            try:
                return float(text)
            except ValueError:
                raise ValidationError("BAD_SETTING", f"expected a number, got {text!r}",
                                      self.name) from None
        return text


SETTINGS: tuple[Setting, ...] = (
    Setting("db", str, "deconfliction.db",
            "SQLite file, sqlite:///PATH, or postgresql://USER@HOST:PORT/DB"),
    Setting("host", str, "127.0.0.1", "address to listen on"),
    Setting("port", int, 8000, "port to listen on"),
    Setting("workers", int, 1,
            "server processes sharing the port and the database (writes stay serialised by "
            "the database's writer lock; each process catches up with the others)"),
    Setting("scenario", str, "", "load a scenario at start when the store is empty ('attanf')"),
    Setting("admin_token", str, "",
            "make this the admin's API token at start (for scripted setups; else use the CLI)"),
    Setting("max_body_bytes", int, 1_000_000, "largest request body accepted"),
    Setting("fast_writes", bool, True,
            "answer POST /zones and /operations without the web framework's dispatch "
            "(the same checks and answers, about half the CPU time)"),
    Setting("escalation_interval_s", float, 1.0, "how often overdue messages are escalated"),
    Setting("webhook_interval_s", float, 0.5, "how often due webhook deliveries are tried"),
    Setting("webhook_timeout_s", float, 5.0, "timeout of one webhook delivery"),
    Setting("webhook_max_backoff_s", float, 300.0, "longest wait between webhook retries"),
    Setting("jwt_ttl_s", int, 3600, "lifetime of JWTs issued by POST /token"),
    Setting("gc_freeze_s", float, 5.0,
            "how often what survived Python's young collections is moved out of the cyclic "
            "garbage collector's reach (gc.freeze), so that its full collections, which grow "
            "with the stored objects, do not stall requests; 0: never"),
    Setting("log_level", str, "info", "uvicorn log level"),
    Setting("borders", str, "",
            "world-atlas countries-*.json that zones' clip_to uses (default: the web map's "
            "copy, web/vendor/world-atlas/countries-50m.json)"),
    Setting("dss_enabled", bool, False,
            "serve the ASTM F3548-21 DSS API under /dss/v1 (needs dss_public_key and "
            "dss_audience)"),
    Setting("dss_public_key", str, "",
            "the DSS token issuer's RS256 public key: a PEM file or a JWKS file"),
    Setting("dss_audience", str, "",
            "the audience DSS access tokens must name (this DSS's host name)"),
)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting's value."""

    db: str
    host: str
    port: int
    workers: int
    scenario: str
    admin_token: str
    max_body_bytes: int
    fast_writes: bool
    escalation_interval_s: float
    webhook_interval_s: float
    webhook_timeout_s: float
    webhook_max_backoff_s: float
    jwt_ttl_s: int
    gc_freeze_s: float
    log_level: str
    borders: str
    dss_enabled: bool
    dss_public_key: str
    dss_audience: str

    @classmethod
    def load(cls, given: Mapping[str, object] | None = None, *,
             environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``given`` (flags; ``None`` values are not given), then the
        environment, then the defaults."""
        given = given or {}
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for s in SETTINGS:
            raw = given.get(s.name)
            if raw is None:
                raw = env.get(s.env)
            values[s.name] = s.default if raw is None else s.parse(raw)
        return cls(**values)


assert [f.name for f in fields(Settings)] == [s.name for s in SETTINGS]
