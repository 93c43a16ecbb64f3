"""What the app keeps for its requests: the one service of this process, and where its
country borders come from."""

from __future__ import annotations

from fastapi import Request

from deconfliction.channel.service import Service
from deconfliction.formats.native import Borders

__all__ = ["borders_of", "service_of"]


def service_of(request: Request) -> Service:
    """The service behind ``request``'s app."""
    service: Service = request.app.state.service
    return service


def borders_of(request: Request) -> Borders:
    """The country borders of ``request``'s app (read on first use)."""
    borders: Borders = request.app.state.borders
    return borders
