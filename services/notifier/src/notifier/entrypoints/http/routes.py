"""HTTP routes of the notifier service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
