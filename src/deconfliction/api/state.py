"""What the app keeps for its requests: the one service of this process."""

from __future__ import annotations

from fastapi import Request

from deconfliction.channel.service import Service

__all__ = ["service_of"]


def service_of(request: Request) -> Service:
    """The service behind ``request``'s app."""
    service: Service = request.app.state.service
    return service
