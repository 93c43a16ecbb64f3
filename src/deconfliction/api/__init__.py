"""The HTTP API: a FastAPI app over one :class:`~deconfliction.channel.service.Service`."""

from deconfliction.api.app import create_app

__all__ = ["create_app"]
