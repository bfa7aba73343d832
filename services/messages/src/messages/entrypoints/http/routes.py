"""HTTP routes of the messages service."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
