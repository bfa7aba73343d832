"""The events of "Mes messages et mes réponses": envelope, topics, models and reference data."""

from contracts.codec import UndecodableEvent, decode
from contracts.envelope import Event
from contracts.funds import Fund, FundCode, all_funds, get_fund
from contracts.topics import ALL_TOPICS, TopicSpec, topic_for

__all__ = [
    "ALL_TOPICS",
    "Event",
    "Fund",
    "FundCode",
    "TopicSpec",
    "UndecodableEvent",
    "all_funds",
    "decode",
    "get_fund",
    "topic_for",
]
