"""Prometheus metrics of one app: the channel's messages (read from the store at each
scrape, so several processes agree) and HTTP requests."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, SummaryMetricFamily
from prometheus_client.registry import Collector

from deconfliction.channel.service import Service

__all__ = ["Metrics"]


class _Channel(Collector):
    def __init__(self, service: Service) -> None:
        self.service = service

    def collect(self) -> Iterator[GaugeMetricFamily | SummaryMetricFamily]:
        with self.service.store.read() as tx:
            counts = tx.message_counts()
            head, _ = tx.ledger_head()
        g = GaugeMetricFamily("deconfliction_messages", "Messages in the outbox, by state",
                              labels=["state"])
        g.add_metric(["pending"], counts["pending"])
        g.add_metric(["acknowledged"], counts["acked"])
        g.add_metric(["objected"], counts["objected"])
        g.add_metric(["change_requested"], counts["change_requested"])
        yield g
        for name, key, help_ in (
            ("deconfliction_messages_delivered", "delivered", "Messages delivered at least once"),
            ("deconfliction_messages_escalated", "escalated", "Messages escalated"),
            ("deconfliction_webhook_pending", "webhook_pending", "Webhook deliveries pending"),
        ):
            yield GaugeMetricFamily(name, help_, value=counts[key])
        yield GaugeMetricFamily("deconfliction_ledger_entries", "Entries in the ledger",
                                value=head)
        lat = list(self.service.delivery_latencies)
        yield SummaryMetricFamily(
            "deconfliction_delivery_latency_seconds",
            "From a message's creation to its first delivery (this process, recent)",
            count_value=len(lat), sum_value=sum(lat))


class Metrics:
    """The registry of one app."""

    def __init__(self, service: Service) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_Channel(service))
        self.requests = Counter("deconfliction_http_requests", "HTTP requests",
                                ["method", "status"], registry=self.registry)
        self.latency = Histogram("deconfliction_http_request_seconds", "HTTP request time",
                                 ["method"], registry=self.registry,
                                 buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25,
                                          0.5, 1.0, 2.5))
