"""The claim's pages: the claim, its label, the quote decision, cancelling, the survey, the answer to an
information request, and photos. Every action is the same gRPC call a retailer's system makes, refused by the
same workflow validators, and once per form (the request id)."""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aftercare.repairs.v1 import repairs_pb2 as rpb
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.portal.access import Visit
from services.portal.backends import Invalid, Refused
from services.portal.web.claim_context import claim_context
from services.portal.web.frame import Frame

MAX_PHOTOS = 5
MAX_UPLOAD_BYTES = 10 * 1000 * 1000
PHOTO_PROBLEMS = frozenset({"too_large", "not_a_photo", "too_many"})
INFO_PROBLEMS = frozenset({"too_large", "not_a_photo", "too_many", "empty"})


class ClaimPages(Frame):
    def _claim_context(self, request: Request, visit: Visit, claim: rpb.Claim) -> dict[str, Any]:
        """What every claim page shows of the claim, and the form fields its actions post."""
        return {
            **claim_context(claim, self.locale(request), visit.time_zone),
            "csrf": visit.csrf,
            "request_id": str(uuid.uuid4()),
            "done": self._done(request),
            "nav": True,
        }

    async def claim(self, request: Request, visit: Visit) -> Response:
        if visit.grant.subject.value != "claim":
            return self.denied(request)
        claim = await self.backends.claim(visit.grant)
        return self.page(request, "claim.html.j2", **self._claim_context(request, visit, claim))

    async def label(self, request: Request, visit: Visit) -> Response:
        claim = await self.backends.claim(visit.grant)
        context = self._claim_context(request, visit, claim)
        return self.page(request, "label.html.j2", **context)

    async def label_pdf(self, request: Request, visit: Visit) -> Response:
        try:
            pdf = await self.backends.label(visit.grant)
        except Refused:
            return self.denied(request)
        name = f"label-{visit.grant.ref}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    async def _act(
        self, request: Request, visit: Visit, action: Callable[[dict[str, str]], Awaitable[str]]
    ) -> Response:
        form = await self.form(request, visit)
        back = "/claim"
        try:
            what = await action(form)
        except Refused:
            what = "refused"
        except Invalid:
            return self.page(request, "down.html.j2", status=400, invalid=True)
        return self.done(back, what)

    async def decide_quote(self, request: Request, visit: Visit) -> Response:
        async def decide(form: dict[str, str]) -> str:
            accept = form.get("decision") == "accept"
            if form.get("decision") not in ("accept", "decline"):
                raise Invalid("decision")
            await self.backends.decide_quote(visit.grant, accept, form.get("request_id", ""))
            return "quote_accepted" if accept else "quote_declined"

        return await self._act(request, visit, decide)

    async def cancel(self, request: Request, visit: Visit) -> Response:
        async def cancel(form: dict[str, str]) -> str:
            await self.backends.cancel(visit.grant, form.get("request_id", ""))
            return "cancelled"

        return await self._act(request, visit, cancel)

    async def survey(self, request: Request, visit: Visit) -> Response:
        if request.method == "GET":
            claim = await self.backends.claim(visit.grant)
            context = self._claim_context(request, visit, claim)
            return self.page(request, "survey.html.j2", scores=range(11), **context)

        async def answer(form: dict[str, str]) -> str:
            score = form.get("score", "")
            if not score.isdigit() or not 0 <= int(score) <= 10:
                raise Invalid("score")
            comment = form.get("comment", "").strip()[:2000]
            await self.backends.feedback(visit.grant, int(score), comment, form.get("request_id", ""))
            return "survey"

        return await self._act(request, visit, answer)

    # -- the answer to an information request ----------------------------------------------------------------

    async def info(self, request: Request, visit: Visit, *, problem: str = "", answer: str = "") -> Response:
        if request.method == "POST" and not problem:
            return await self._answer(request, visit)
        claim = await self.backends.claim(visit.grant)
        context = self._claim_context(request, visit, claim)
        problem = problem or request.query_params.get("problem", "")
        return self.page(
            request,
            "info.html.j2",
            status=400 if request.method == "POST" else 200,
            problem=problem if problem in INFO_PROBLEMS else "",
            answer=answer,
            **context,
        )

    async def _answer(self, request: Request, visit: Visit) -> Response:
        """The customer's answer: a text, a photo, or both (the photo first, so the answer counts it). A photo
        refused gives the form back with the text as typed: nothing the customer wrote is lost."""
        received = await self._multipart(request, visit, "/claim/info", fields=5)
        if isinstance(received, Response):
            return received
        form, content = received
        text = str(form.get("answer", "")).strip()[:2000]
        request_id = str(form.get("request_id", ""))[:100]
        if not text and not content:
            return await self.info(request, visit, problem="empty")
        try:
            if content:
                photo_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{request_id}/photo"))  # retried: the same photo
                await self.backends.add_photo(visit.grant, photo_id, content)
        except Invalid:
            return await self.info(request, visit, problem="not_a_photo", answer=text)
        except Refused:
            return await self.info(request, visit, problem="too_many", answer=text)
        try:
            await self.backends.answer(visit.grant, text, request_id)
        except Invalid:
            return await self.info(request, visit, problem="empty", answer=text)
        except Refused:
            return self.done("/claim", "refused")
        return self.done("/claim", "answered")

    async def _multipart(
        self, request: Request, visit: Visit, back: str, *, fields: int
    ) -> Response | tuple[dict[str, str], bytes]:
        """A multipart form with at most one file (`photo`), its size checked before it is read: its fields
        and the file's bytes (b"" without one), or the response that refuses it."""
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_UPLOAD_BYTES + 64 * 1024:
            return RedirectResponse(f"{back}?problem=too_large", status_code=303)
        try:
            form = await request.form(max_files=1, max_fields=fields, max_part_size=64 * 1024)
        except Exception:  # noqa: BLE001 - a malformed multipart body: python-multipart raises its own kinds
            return self.denied(request)
        csrf = form.get("csrf")
        if not isinstance(csrf, str) or not hmac.compare_digest(csrf.encode(), visit.csrf.encode()):
            return self.denied(request)
        upload = form.get("photo")
        content = b""
        if upload is not None and not isinstance(upload, str):
            content = await upload.read(MAX_UPLOAD_BYTES + 1)
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        await form.close()
        if len(content) > MAX_UPLOAD_BYTES:
            return RedirectResponse(f"{back}?problem=too_large", status_code=303)
        return values, content

    # -- photos -------------------------------------------------------------------------------------------

    async def photos(self, request: Request, visit: Visit) -> Response:
        if request.method == "POST":
            return await self._upload(request, visit)
        claim = await self.backends.claim(visit.grant)
        shown = await self.backends.photos(visit.grant)
        context = self._claim_context(request, visit, claim)
        problem = request.query_params.get("problem", "")
        return self.page(
            request,
            "photos.html.j2",
            photos=shown,
            room=len(shown) < MAX_PHOTOS and context["view"].can_add_photos,
            max_photos=MAX_PHOTOS,
            problem=problem if problem in PHOTO_PROBLEMS else "",
            **context,
        )

    async def _upload(self, request: Request, visit: Visit) -> Response:
        received = await self._multipart(request, visit, "/claim/photos", fields=4)
        if isinstance(received, Response):
            return received
        form, content = received
        if not content:
            return RedirectResponse("/claim/photos?problem=not_a_photo", status_code=303)
        request_id = form.get("request_id", "")
        try:
            await self.backends.add_photo(visit.grant, request_id, content)
        except Invalid:
            return RedirectResponse("/claim/photos?problem=not_a_photo", status_code=303)
        except Refused:
            return RedirectResponse("/claim/photos?problem=too_many", status_code=303)
        return self.done("/claim/photos", "photo")

    async def photo(self, request: Request, visit: Visit) -> Response:
        attachment, content = await self.backends.photo(visit.grant, request.path_params["photo"][:64])
        return Response(
            content,
            media_type=attachment.content_type if attachment.content_type in ("image/jpeg", "image/png") else "",
            headers={"Cache-Control": "private, max-age=3600", "Content-Disposition": "inline"},
        )
