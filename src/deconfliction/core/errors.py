"""Errors with stable machine codes.

Every error the project raises on purpose derives from :class:`DeconflictionError`.
It carries a stable ``code`` (a short upper-case string that clients may match on),
a human ``message`` and, where one input is to blame, the ``field`` that holds it.
The HTTP layer maps ``code`` to a status in one table; the CLI prints one line and
exits with status 2.

The tree::

    DeconflictionError
    ├── ValidationError            bad input (the code says which rule)
    ├── NotFoundError              NOT_FOUND
    ├── ConflictStateError         ILLEGAL_TRANSITION, VERSION_MISMATCH
    └── StoreError                 STORE_FAILURE

Examples
--------
>>> err = ValidationError("LAT_OUT_OF_RANGE", "latitude 91.0 is outside [-90, 90]", "lat")
>>> err.code, err.field
('LAT_OUT_OF_RANGE', 'lat')
>>> str(err)
'lat: latitude 91.0 is outside [-90, 90]'
"""

from __future__ import annotations


class DeconflictionError(Exception):
    """Base of every deliberate error: a stable ``code``, a message and an optional field."""

    code: str = "ERROR"

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    def with_field_prefix(self, prefix: str) -> DeconflictionError:
        """Return the same error with ``prefix`` put before its field path."""
        field = f"{prefix}.{self.field}" if self.field else prefix
        err = type(self).__new__(type(self))
        Exception.__init__(err, *self.args)
        err.__dict__.update(self.__dict__)
        err.field = field
        return err

    def to_dict(self) -> dict[str, str | None]:
        """The error as plain data, as the API and ``--json`` output show it."""
        return {"code": self.code, "message": self.message, "field": self.field}


class ValidationError(DeconflictionError):
    """The input breaks a rule; ``code`` names the rule."""


class NotFoundError(DeconflictionError):
    """No object with that id."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", message, field)


class ConflictStateError(DeconflictionError):
    """The object is not in a state that allows the request (illegal transition, stale version)."""


class StoreError(DeconflictionError):
    """The store could not complete the request; nothing was written."""
