"""Demo accounts of the local environment (``demo_accounts.yaml``); the ``SeedDemoAccounts``
command creates them idempotently (``service_layer/handlers/housekeeping.py``)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml


def demo_accounts() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("auth.seed").joinpath("demo_accounts.yaml").read_text("utf-8")
    accounts: dict[str, list[dict[str, Any]]] = yaml.safe_load(text)
    return accounts
