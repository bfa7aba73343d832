"""Reference data: the funds, and the keys that verify access tokens."""

from __future__ import annotations

from fastapi import APIRouter, Response

from auth.domain.commands import GetJwks
from auth.entrypoints.http import schemas
from auth.entrypoints.http.deps import BusDep
from contracts import all_funds

router = APIRouter(tags=["reference"])


@router.get(
    "/funds",
    summary="The 35 MSA funds, for the registration form",
    response_model=schemas.FundsPublic,
)
async def list_funds() -> schemas.FundsPublic:
    return schemas.FundsPublic(
        data=[
            schemas.FundPublic(code=fund.code, name=fund.name, site=fund.site)
            for fund in all_funds().values()
        ]
    )


@router.get(
    "/.well-known/jwks.json",
    summary="Public keys that verify access tokens",
    response_model=schemas.Jwks,
)
async def jwks(bus: BusDep, response: Response) -> schemas.Jwks:
    response.headers["Cache-Control"] = "public, max-age=60"
    return schemas.Jwks.model_validate(await bus.handle(GetJwks()))
