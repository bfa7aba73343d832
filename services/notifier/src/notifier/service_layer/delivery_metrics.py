"""What the delivery worker measures: emails sent, failed, retried, dead-lettered, skipped,
the time the SMTP server takes, and the backlog."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class DeliveryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sent = Counter(
            "notifier_emails_sent",
            "Emails accepted by the SMTP server",
            ["kind"],
            registry=registry,
        )
        self.failed = Counter(
            "notifier_email_failures",
            "Emails the SMTP server did not accept, by kind of failure",
            ["kind", "failure"],
            registry=registry,
        )
        self.retried = Counter(
            "notifier_emails_retried",
            "Transient failures scheduled for another attempt",
            ["kind"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "notifier_emails_dead_lettered",
            "Emails given up on and published to the dead-letter topic",
            ["kind", "cause"],
            registry=registry,
        )
        self.skipped = Counter(
            "notifier_emails_skipped",
            "Thread emails not sent because the member turned them off",
            ["kind"],
            registry=registry,
        )
        self.send_seconds = Histogram(
            "notifier_smtp_send_seconds",
            "Time to hand one email to the SMTP server",
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15),
        )
        self.backlog = Gauge(
            "notifier_deliveries",
            "Deliveries not sent yet, by status",
            ["status"],
            registry=registry,
        )
        self.smtp_available = Gauge(
            "notifier_smtp_server_available",
            "1 while the SMTP server answers; 0 while it is away and sending is paused",
            registry=registry,
        )
        self.smtp_available.set(1)
        self.oldest_age = Gauge(
            "notifier_oldest_unsent_delivery_age_seconds",
            "Age of the oldest delivery not sent yet (waiting, pending or sending)",
            registry=registry,
        )
