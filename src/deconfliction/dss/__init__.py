"""The ASTM F3548-21 DSS (strategic coordination) over the service's one engine.

F3548 operational intents are the service's operations and its constraints are zones: an
intent written here is checked, stored, ledgered and announced on the channel by
:class:`~deconfliction.channel.service.Service`, and a zone or operation written through
the native API is found by a DSS query. What F3548 keeps besides the volumes (each
reference's manager, USS base URL, F3548 state and numeric version; subscriptions and their
``notification_index``; USS availability) is in the ``dss_*`` tables, written in the same
transaction as the object.

Modules: :mod:`~.auth` (RS256 bearer tokens, scopes), :mod:`~.errors` (the standard's
statuses and error bodies), :mod:`~.refs` (references as JSON, entity ids), :mod:`~.limits`,
:mod:`~.params` (request bodies), :mod:`~.rows` (the tables), :mod:`~.notify`
(subscriptions to notify), :mod:`~.base` (what the endpoints share), :mod:`~.dss`
(references: keys, OVNs, versions), :mod:`~.subscriptions` (subscriptions, USS
availability, reports).
"""

from deconfliction.dss.auth import SCOPES, Caller, TokenVerifier
from deconfliction.dss.errors import DssError

__all__ = ["SCOPES", "Caller", "DssError", "TokenVerifier"]
