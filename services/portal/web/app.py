"""The portal's web pages: server-rendered HTML that works without JavaScript, in the reader's language.

Every page that shows a claim or a warranty needs a session, started by opening a message's link (`/l/<token>`)
or by a one-time code. Every action is a form with the session's CSRF token and a request id, so a double click
or a retried post changes nothing twice (the services dedupe by request id), and every action is the same
gRPC call a retailer's system makes, refused by the same workflow validators. Any denial, whatever its reason,
is the same page."""

from __future__ import annotations

import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from services.kit.grants import Subject
from services.kit.l10n import local_date, local_time, money, reader_zone
from services.portal.access import Access, Visit
from services.portal.backends import Backends, Denied, Down, Invalid, Refused
from services.portal.domain import links
from services.portal.domain.claim_view import ClaimFacts, moves, view
from services.portal.domain.links import Page
from services.portal.domain.warranty_view import WarrantyFacts, last_covered_moment
from services.portal.domain.warranty_view import view as warranty_view
from services.portal.payments import FakeProvider, PaymentDeclined, PaymentProvider
from services.portal.web import i18n
from services.portal.web.security import SecurityHeaders

log = logging.getLogger("aftercare.portal")
HERE = Path(__file__).resolve().parent
LANG_COOKIE = "ac_lang"
FORM_COOKIE = "ac_form"  # the anonymous forms' CSRF token
CODE_COOKIE = "ac_code"  # which one-time code this browser is typing
PAGES = {
    Page.CLAIM: "/claim",
    Page.PHOTOS: "/claim/photos",
    Page.LABEL: "/claim/label",
    Page.SURVEY: "/claim/survey",
    Page.INFO: "/claim/info",
    Page.WARRANTY: "/warranty",
    Page.PREFERENCES: "/preferences",
}
DONE = frozenset(
    {
        "quote_accepted",
        "quote_declined",
        "cancelled",
        "survey",
        "preferences",
        "unsubscribed",
        "refused",
        "photo",
        "plan",
        "answered",
    }
)
Handler = Callable[[Request], Awaitable[Response]]
CHANNELS = {"email": npb.CHANNEL_EMAIL, "sms": npb.CHANNEL_SMS}
MAX_PHOTOS = 5
MAX_UPLOAD_BYTES = 10 * 1000 * 1000
PHOTO_PROBLEMS = frozenset({"too_large", "not_a_photo", "too_many"})
INFO_PROBLEMS = frozenset({"too_large", "not_a_photo", "too_many", "empty"})
ACTORS = frozenset({"customer", "retailer", "ops", "centre", "carrier", "system", "service"})


class TooLarge(Exception):
    pass


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _name(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)


class PortalWeb:
    def __init__(
        self,
        access: Access,
        backends: Backends,
        *,
        secure_cookies: bool,
        max_form_bytes: int,
        payments: PaymentProvider | None = None,
    ):
        self.access, self.backends = access, backends
        self.secure = secure_cookies
        self.session_cookie = "__Host-ac_session" if secure_cookies else "ac_session"
        self.max_form_bytes = max_form_bytes
        self.payments = payments or FakeProvider()

    def app(self) -> Starlette:
        routes = [
            Route("/", self.home),
            Route("/find", self.find, methods=["POST"]),
            Route("/find/code", self.enter_code, methods=["GET", "POST"]),
            Route("/healthz", self.health),
            Route("/l/{token}", self.open_link),
            Route("/lang/{locale}", self.switch_language),
            Route("/claim", self.with_visit(self.claim)),
            Route("/claim/label", self.with_visit(self.label)),
            Route("/claim/label.pdf", self.with_visit(self.label_pdf)),
            Route("/claim/quote", self.with_visit(self.decide_quote), methods=["POST"]),
            Route("/claim/cancel", self.with_visit(self.cancel), methods=["POST"]),
            Route("/claim/survey", self.with_visit(self.survey), methods=["GET", "POST"]),
            Route("/claim/photos", self.with_visit(self.photos), methods=["GET", "POST"]),
            Route("/claim/photos/{photo}", self.with_visit(self.photo)),
            Route("/claim/info", self.with_visit(self.info), methods=["GET", "POST"]),
            Route("/warranty", self.with_visit(self.warranty)),
            Route("/warranty/plan", self.with_visit(self.buy_plan), methods=["POST"]),
            Route("/preferences", self.with_visit(self.preferences), methods=["GET", "POST"]),
            Route("/u/{token}", self.unsubscribe, methods=["GET", "POST"]),
            Route("/sign-out", self.sign_out, methods=["POST"]),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ]
        return Starlette(
            routes=routes,
            middleware=[Middleware(AccessLog), Middleware(SecurityHeaders, secure=self.secure)],
            exception_handlers={404: self._not_found, 405: self._not_found},
        )

    # -- the frame ----------------------------------------------------------------------------------------

    def locale(self, request: Request) -> str:
        chosen = i18n.supported(request.cookies.get(LANG_COOKIE, ""))
        return chosen or i18n.from_accept_language(request.headers.get("accept-language", "")) or i18n.DEFAULT

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        locale = self.locale(request)
        t = i18n.texts(locale)
        here = context.pop("here", None) or (request.url.path if request.url.path in PAGES.values() else "/")
        languages = [(code, i18n.NAMES[code], f"/lang/{code}?next={here}") for code in i18n.LOCALES]
        html = (
            _environment()
            .get_template(template)
            .render(**{"t": t, "locale": locale, "languages": languages, "here": here, "nav": False, **context})
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def denied(self, request: Request) -> Response:
        """The one page for every refusal: unknown, expired, revoked, another's, a bad form token."""
        token, fresh = self._form_token(request)
        page = self.page(request, "denied.html.j2", status=404, here="/", form_token=token)  # echoes nothing asked
        return self._with_form_token(page, token, fresh)

    async def _not_found(self, request: Request, exc: Exception) -> Response:
        return self.denied(request)

    def down(self, request: Request) -> HTMLResponse:
        return self.page(request, "down.html.j2", status=503)

    def with_visit(self, handler: Callable[[Request, Visit], Awaitable[Response]]) -> Handler:
        """The handler, for a signed-in browser; the denied page for any other. A service that cannot answer
        gives the try-again page."""

        async def guarded(request: Request) -> Response:
            visit = await self.access.visit(request.cookies.get(self.session_cookie, ""))
            if visit is None:
                return self.denied(request)
            try:
                return await handler(request, visit)
            except Denied:
                return self.denied(request)
            except Down:
                return self.down(request)
            except TooLarge:
                return PlainTextResponse("request too large", status_code=413)

        guarded.__name__ = handler.__name__
        return guarded

    async def form(self, request: Request, visit: Visit) -> dict[str, str]:
        """The posted form, once its CSRF token is the session's (Denied otherwise)."""
        form = await self.read_form(request)
        if not hmac.compare_digest(form.get("csrf", "").encode(), visit.csrf.encode()):
            raise Denied("bad form token")
        return form

    async def read_form(self, request: Request) -> dict[str, str]:
        """The posted form. Bodies over the limit raise TooLarge before they are read whole; what is not a
        form raises Denied."""
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise Denied("not a form")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_form_bytes:
            raise TooLarge()
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_form_bytes:
                raise TooLarge()
        try:
            fields = parse_qs(body.decode(), max_num_fields=20, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            raise Denied("not a form") from None
        return {key: values[0] for key, values in fields.items()}

    def done(self, to: str, what: str) -> RedirectResponse:
        """Post/redirect/get: the page again, with what was done."""
        return RedirectResponse(f"{to}?done={what}", status_code=303)

    # -- entry --------------------------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    # -- finding a claim without a link: a one-time code to the contact on file ---------------------------

    def _form_token(self, request: Request) -> tuple[str, bool]:
        """The anonymous forms' CSRF token (double submit: a cookie and the same value in the form)."""
        token = request.cookies.get(FORM_COOKIE, "")
        return (token, False) if len(token) == 43 else (secrets.token_urlsafe(32), True)

    def _with_form_token(self, response: Response, token: str, fresh: bool) -> Response:
        if fresh:
            response.set_cookie(FORM_COOKIE, token, path="/", secure=self.secure, httponly=True, samesite="strict")
        return response

    async def _anonymous_form(self, request: Request) -> dict[str, str]:
        form = await self.read_form(request)
        cookie = request.cookies.get(FORM_COOKIE, "")
        if not cookie or not hmac.compare_digest(form.get("form_token", "").encode(), cookie.encode()):
            raise Denied("bad form token")
        return form

    async def home(self, request: Request) -> Response:
        token, fresh = self._form_token(request)
        return self._with_form_token(self.page(request, "home.html.j2", form_token=token), token, fresh)

    def _client(self, request: Request) -> str:
        return request.client.host if request.client else ""

    async def find(self, request: Request) -> Response:
        try:
            form = await self._anonymous_form(request)
        except (Denied, TooLarge):
            return self.denied(request)
        rma, contact = form.get("rma", "")[:64], form.get("contact", "")[:254]
        if not rma.strip() or not contact.strip():
            return self.page(request, "home.html.j2", status=400, form_token=form["form_token"], invalid=True)
        try:
            code_id = await self.access.request_code(rma, contact, self._client(request), self.locale(request))
        except (Down, Denied, Refused, Invalid):
            return self.down(request)
        if code_id is None:
            return self.page(request, "home.html.j2", status=429, form_token=form["form_token"], limited=True)
        response = RedirectResponse("/find/code", status_code=303)
        response.set_cookie(
            CODE_COOKIE, code_id, max_age=600, path="/find", secure=self.secure, httponly=True, samesite="strict"
        )
        return response

    async def enter_code(self, request: Request) -> Response:
        token, fresh = self._form_token(request)
        if request.method == "GET":
            return self._with_form_token(self.page(request, "code.html.j2", form_token=token), token, fresh)
        try:
            form = await self._anonymous_form(request)
        except (Denied, TooLarge):
            return self.denied(request)
        redeemed = await self.access.redeem(request.cookies.get(CODE_COOKIE, ""), form.get("code", "")[:20])
        if redeemed is None:
            return self.page(request, "code.html.j2", status=400, form_token=token, wrong=True)
        session_id, subject = redeemed
        response = RedirectResponse("/claim" if subject is Subject.CLAIM else "/warranty", status_code=303)
        self._session_cookie(response, session_id)
        response.delete_cookie(CODE_COOKIE, path="/find")
        return response

    def _session_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            self.session_cookie,
            session_id,
            max_age=int(self.access.session_ttl.total_seconds()),
            path="/",
            secure=self.secure,
            httponly=True,
            samesite="lax",
        )

    async def open_link(self, request: Request) -> Response:
        try:
            opened = await self.access.open_link(request.path_params["token"])
        except Down:
            return self.down(request)
        if opened is None:
            return self.denied(request)
        response = RedirectResponse(PAGES[opened.page], status_code=303)
        self._session_cookie(response, opened.session_id)
        if not request.cookies.get(LANG_COOKIE) and (locale := i18n.supported(opened.locale)):
            self._language_cookie(response, locale)
        return response

    def _language_cookie(self, response: Response, locale: str) -> None:
        response.set_cookie(
            LANG_COOKIE, locale, max_age=365 * 86400, path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    async def switch_language(self, request: Request) -> Response:
        locale = i18n.supported(request.path_params["locale"]) or i18n.DEFAULT
        target = request.query_params.get("next", "/")
        if target not in {"/", *PAGES.values()}:  # no open redirect
            target = "/"
        response = RedirectResponse(target, status_code=303)
        self._language_cookie(response, locale)
        return response

    async def sign_out(self, request: Request) -> Response:
        session_id = request.cookies.get(self.session_cookie, "")
        visit = await self.access.visit(session_id)
        if visit is not None:
            try:
                await self.form(request, visit)
            except (Denied, TooLarge):
                return self.denied(request)
            await self.access.sign_out(session_id)
        response = RedirectResponse("/", status_code=303)
        response.delete_cookie(self.session_cookie, path="/", secure=self.secure, httponly=True, samesite="lax")
        return response

    # -- the claim ----------------------------------------------------------------------------------------

    def _claim_context(self, request: Request, visit: Visit, claim: rpb.Claim) -> dict[str, Any]:
        locale = self.locale(request)
        t = i18n.texts(locale)
        zone = reader_zone(visit.time_zone)

        def when(stamp: Any) -> str:
            return local_time(stamp.ToDatetime(UTC), locale, zone)

        state = _name(rpb.ClaimState, claim.state, "CLAIM_STATE_")
        has_label = any(s.direction == rpb.DIRECTION_TO_CENTRE for s in claim.shipments)
        facts = ClaimFacts(
            state=state,
            ship_by=claim.ship_by_time.ToDatetime(UTC) if claim.HasField("ship_by_time") else None,
            quote_expires=claim.quote.expire_time.ToDatetime(UTC) if claim.quote.HasField("expire_time") else None,
            sla_due=claim.sla_due_time.ToDatetime(UTC) if claim.HasField("sla_due_time") else None,
            has_quote=claim.HasField("quote"),
            feedback_given=claim.feedback_score >= 0,
            has_inbound_label=has_label,
            answer_by=claim.answer_by_time.ToDatetime(UTC) if claim.HasField("answer_by_time") else None,
        )
        shown = view(facts)
        states = [_name(rpb.ClaimState, e.state, "CLAIM_STATE_") for e in claim.timeline]
        timeline = [
            (
                when(claim.timeline[i].event_time),
                t(f"state.{states[i]}"),
                t(f"actor.{claim.timeline[i].actor.kind}") if claim.timeline[i].actor.kind in ACTORS else "",
            )
            for i in moves(states)
        ]
        parcels = [
            {
                "direction": t(f"direction.{_name(rpb.Direction, s.direction, 'DIRECTION_')}"),
                "tracking": s.tracking_number,
                "events": [
                    (when(e.event_time), t(f"parcel.{_name(rpb.ParcelEvent, e.event, 'PARCEL_EVENT_')}"))
                    for e in s.events
                ],
            }
            for s in claim.shipments
        ]
        quote = None
        if claim.HasField("quote"):
            price = claim.quote.price
            quote = {
                "price": money(price.amount_minor, price.currency_code, locale),
                "expires": when(claim.quote.expire_time) if claim.quote.HasField("expire_time") else "",
            }
        resolution = _name(rpb.Resolution, claim.resolution, "RESOLUTION_") if claim.resolution else ""
        review = claim.review
        rejected = (
            _name(rpb.RejectionReason, review.rejection_reason, "REJECTION_REASON_") if review.rejection_reason else ""
        )
        return {
            "needed": [t(f"needed.{_name(rpb.InformationNeeded, n, 'INFORMATION_NEEDED_')}") for n in review.requested],
            "because": t(f"rejection.{rejected}") if rejected else "",
            "rma": claim.rma,
            "view": shown,
            "by": local_time(shown.by, locale, zone) if shown.by else "",
            "filed": when(claim.create_time),
            "timeline": list(reversed(timeline)),
            "parcels": parcels,
            "quote": quote,
            "outcome": t(f"outcome.{resolution}") if resolution else "",
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
            room=len(shown) < MAX_PHOTOS and context["view"].waiting_on.value != "nobody",
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

    # -- the warranty and its plan offer ------------------------------------------------------------------

    async def warranty(self, request: Request, visit: Visit) -> Response:
        if visit.grant.subject.value != "warranty":
            return self.denied(request)
        warranty = await self.backends.warranty(visit.grant)
        product = await self.backends.product(visit.grant, warranty.sku)
        offer = product.policy.extended_plan_offer
        facts = WarrantyFacts(
            voided=warranty.state == wpb.Warranty.STATE_VOIDED,
            standard_end=warranty.standard_coverage_end_time.ToDatetime(UTC),
            coverage_end=warranty.coverage_end_time.ToDatetime(UTC),
            plans=len(warranty.extended_plans),
            offer_months=offer.months,
        )
        shown = warranty_view(facts, datetime.now(UTC))
        locale = self.locale(request)
        zone = reader_zone(visit.time_zone)
        t = i18n.texts(locale)
        claims = [
            (
                c.rma,
                t(f"state.{_name(rpb.ClaimState, c.state, 'CLAIM_STATE_')}"),
                local_date(c.create_time.ToDatetime(UTC), locale, zone),
            )
            for c in await self.backends.claims_on(visit.grant)
        ]
        problem = request.query_params.get("problem", "")
        return self.page(
            request,
            "warranty.html.j2",
            product=product.display_name or warranty.sku,
            claims=claims,
            coverage=shown.coverage.value,
            until=local_date(last_covered_moment(facts.coverage_end), locale, zone),
            offer_months=offer.months if shown.offer else 0,
            offer_price=money(offer.price.amount_minor, offer.price.currency_code, locale) if shown.offer else "",
            csrf=visit.csrf,
            request_id=str(uuid.uuid4()),
            done=self._done(request),
            problem=problem if problem in ("no_offer", "declined") else "",
            nav=False,
        )

    async def buy_plan(self, request: Request, visit: Visit) -> Response:
        """The plan offer, paid through the payment provider and bought with PurchaseExtendedPlan, both once per
        form (a double click, a retried post: one charge, one plan)."""
        form = await self.form(request, visit)
        request_id = form.get("request_id", "")[:64]
        warranty = await self.backends.warranty(visit.grant)
        offer = (await self.backends.product(visit.grant, warranty.sku)).policy.extended_plan_offer
        if not offer.months or not request_id:
            return RedirectResponse("/warranty?problem=no_offer", status_code=303)
        try:
            charge = await self.payments.charge(
                amount_minor=offer.price.amount_minor,
                currency=offer.price.currency_code,
                idempotency_key=f"plan/{visit.grant.ref}/{request_id}",
                description=f"{offer.months}-month extended plan",
            )
        except PaymentDeclined:
            return RedirectResponse("/warranty?problem=declined", status_code=303)
        try:
            await self.backends.buy_plan(
                visit.grant, months=offer.months, price=offer.price, reference=charge.reference, request_id=request_id
            )
        except (Refused, Invalid):
            return RedirectResponse("/warranty?problem=no_offer", status_code=303)
        return self.done("/warranty", "plan")

    # -- preferences ----------------------------------------------------------------------------------------

    async def preferences(self, request: Request, visit: Visit) -> Response:
        if not visit.grant.customer_id:
            return self.denied(request)
        if request.method == "POST":
            form = await self.form(request, visit)
            chosen = npb.Preferences(
                channels=[CHANNELS[c] for c in ("email", "sms") if form.get(c) == "on"],
                locale=form.get("language", "") if form.get("language", "") in i18n.LOCALES else "",
                marketing_opt_out=form.get("marketing") != "on",
            )
            try:
                await self.backends.set_preferences(
                    visit.grant, chosen, ["channels", "locale", "marketing_opt_out"], form.get("request_id", "")
                )
            except Invalid:
                return self.page(request, "down.html.j2", status=400, invalid=True)
            return self.done("/preferences", "preferences")
        current = await self.backends.preferences(visit.grant)
        return self.page(
            request,
            "preferences.html.j2",
            channels={name for name, value in CHANNELS.items() if value in current.channels},
            language=current.locale,
            marketing=not current.marketing_opt_out,
            names=i18n.NAMES,
            csrf=visit.csrf,
            request_id=str(uuid.uuid4()),
            done=self._done(request),
            nav=visit.grant.subject.value == "claim",
        )

    def _done(self, request: Request) -> str:
        what = request.query_params.get("done", "")
        return what if what in DONE else ""

    async def unsubscribe(self, request: Request) -> Response:
        """RFC 8058 one-click unsubscribe: a POST to the link of an offer turns offers off for its owner, with
        no session and no form token (the token in the URL is the capability; mail clients post
        `List-Unsubscribe=One-Click` and nothing else). A GET shows the button, for people."""
        token = request.path_params["token"]
        try:
            live = await self.access.live_link(token)
        except Down:
            return self.down(request)
        if live is None or not live[1]:
            return self.denied(request)
        if request.method == "GET":
            return self.page(request, "unsubscribe.html.j2", action=f"/u/{token}", here="/")
        try:
            await self.read_form(request)  # bounded, and it must be a form
        except (Denied, TooLarge):
            return self.denied(request)
        row, owner = live
        grant = self.access.grant_of(row, owner)
        opt_out = npb.Preferences(marketing_opt_out=True)
        request_id = f"unsubscribe-{links.token_hash(token)[:40]}"  # the same link unsubscribes once
        try:
            await self.backends.set_preferences(grant, opt_out, ["marketing_opt_out"], request_id)
        except (Down, Denied):
            return self.down(request)
        return self.page(request, "unsubscribed.html.j2", here="/")


class AccessLog:
    """One line per request: method, the route's pattern (never the path: links carry tokens), status, time.
    No address, no cookie, no query."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            pattern = getattr(route, "path", "?")
            log.info(
                "http",
                extra={
                    "method": scope["method"],
                    "route": pattern,
                    "status": status["code"],
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
