"""``/parties`` (admin creates; everyone reads the directory: ids, names, contacts) and
``/token`` (exchange a token for a short-lived JWT)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from deconfliction.api.auth import authenticate, issue_jwt, need
from deconfliction.api.errors import ApiError
from deconfliction.api.schemas import PartyIn, TokenIn
from deconfliction.api.state import service_of
from deconfliction.channel.service import Principal
from deconfliction.core.parties import PartyProfile
from deconfliction.formats.native import volume_from_dict
from deconfliction.formats.records import party_to_dict

__all__ = ["router"]

router = APIRouter(tags=["parties"])



def _public(p: PartyProfile, who: Principal) -> dict[str, Any]:
    if who.admin or who.party == p.id:
        return party_to_dict(p)
    return {"id": p.id, "name": p.name, "role": p.role, "contact": p.contact}


def _profile(body: PartyIn) -> PartyProfile:
    return PartyProfile(
        id=body.id, name=body.name, role=body.role, contact=body.contact,
        escalation_to=body.escalation_to, ack_window_s=body.ack_window_s,
        webhook_url=body.webhook_url,
        interests=tuple(volume_from_dict(v.model_dump()) for v in body.interests),
    )


@router.get("/parties", summary="The directory of parties")
async def parties(request: Request, who: Principal = Depends(authenticate)  # noqa: B008
                  ) -> dict[str, Any]:
    items = [_public(p, who) for p in service_of(request).parties()]
    return {"items": items, "count": len(items)}


@router.get("/parties/{party}", summary="One party (in full to itself and admins)")
async def party(party: str, request: Request,
                who: Principal = Depends(authenticate)  # noqa: B008
                ) -> dict[str, Any]:
    return _public(service_of(request).party(party), who)


@router.post("/parties", status_code=201, summary="Create a party and its first API token "
             "(admin only)")
async def create_party(body: PartyIn, request: Request,
                       who: Principal = Depends(need("admin"))  # noqa: B008
                       ) -> dict[str, Any]:
    service = service_of(request)
    profile = _profile(body)

    def work() -> str:
        service.put_party(who.party, profile, create=True)
        return service.issue_token(who.party, profile.id)

    token = await run_in_threadpool(work)
    return {"party": party_to_dict(profile), "token": token}


@router.put("/parties/{party}", summary="Update a party's profile (itself or an admin; "
            "only an admin changes a role)")
async def update_party(party: str, body: PartyIn, request: Request,
                       who: Principal = Depends(authenticate)  # noqa: B008
                       ) -> dict[str, Any]:
    service = service_of(request)
    if body.id != party:
        raise ApiError("ID_MISMATCH", "the body names another party", "id")
    if not who.admin and who.party != party:
        raise ApiError("FORBIDDEN", "a party may update only its own profile")
    current = service.party(party)
    if body.role != current.role and not who.admin:
        raise ApiError("NOT_ADMIN", "only an admin changes a role", "role")
    profile = _profile(body)
    await run_in_threadpool(service.put_party, who.party, profile, create=False)
    return party_to_dict(profile)


@router.post("/token", summary="A short-lived JWT for the caller (scopes at most its own)")
async def token(request: Request, body: TokenIn | None = None,
                who: Principal = Depends(authenticate)  # noqa: B008
                ) -> dict[str, Any]:
    service = service_of(request)
    wanted = set(body.scopes) if body is not None and body.scopes is not None else who.scopes
    extra = set(wanted) - set(who.scopes)
    if extra:
        raise ApiError("MISSING_SCOPE", f"your token does not hold {sorted(extra)}")
    ttl = request.app.state.settings.jwt_ttl_s
    return {"token": issue_jwt(service, who.party, wanted, ttl), "token_type": "bearer",
            "expires_in": ttl, "scopes": sorted(wanted)}
