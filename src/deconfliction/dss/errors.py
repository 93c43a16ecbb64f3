"""The DSS's errors as the standard answers them: an HTTP status and a body with a
``message`` (F3548's ``ErrorResponse``), or, for a key that misses entities, an
``AirspaceConflictResponse``. Domain errors of the service are mapped here, in one table.

>>> status_for("VERSION_MISMATCH"), status_for("LAT_OUT_OF_RANGE"), status_for("NOT_OWNER")
(409, 400, 403)
"""

from __future__ import annotations

from typing import Any

from deconfliction.core.errors import (
    ConflictStateError,
    DeconflictionError,
    NotFoundError,
    StoreError,
)

__all__ = ["DssError", "from_domain", "status_for"]

#: domain codes whose F3548 status is not the default of their class
_STATUS = {
    "NOT_OWNER": 403,
    "NOT_FOUND": 404,
    "VERSION_MISMATCH": 409,
    "ID_IN_USE": 409,
    "AWARENESS_REQUIRED": 409,
    "CONFLICTS": 409,
    "STORE_FAILURE": 503,
    "STORE_CLOSED": 503,
}


class DssError(Exception):
    """An answer of the DSS other than success: ``status`` and the JSON ``body``."""

    def __init__(self, status: int, message: str, code: str = "",
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.extra = extra or {}

    @property
    def body(self) -> dict[str, Any]:
        """``{"message": ...}`` (plus ``code`` and, for 409s of keys, the missing refs)."""
        out: dict[str, Any] = {"message": self.message}
        if self.code:
            out["code"] = self.code
        out.update(self.extra)
        return out


def status_for(code: str, err: DeconflictionError | None = None) -> int:
    """The F3548 status of a domain error code (input errors are 400, not 422)."""
    if code in _STATUS:
        return _STATUS[code]
    if isinstance(err, NotFoundError):
        return 404
    if isinstance(err, ConflictStateError):
        return 409
    if isinstance(err, StoreError):
        return 503
    return 400


def from_domain(err: DeconflictionError) -> DssError:
    """A domain error as the DSS answers it."""
    text = f"{err.field}: {err.message}" if err.field else err.message
    return DssError(status_for(err.code, err), text, err.code)
