"""Notifier service: confirmation and reply-available emails, exactly once, from Kafka events."""
