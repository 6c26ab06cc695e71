"""The portal's frame: what every page shares (docs/portal.md). Any denial, whatever its reason, is the same
page; a service that cannot answer gives the try-again page; every form carries a CSRF token."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from services.portal.access import Access, Visit
from services.portal.backends import Backends, Denied, Down
from services.portal.domain.links import Page
from services.portal.payments import FakeProvider, PaymentProvider
from services.portal.web import i18n

HERE = Path(__file__).resolve().parent
LANG_COOKIE = "ac_lang"  # the reader's own choice, from the switcher: it sticks
LINK_LANG_COOKIE = "ac_link_lang"  # the language of the message whose link was opened last: until the next link
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


def enum_name(enum: Any, value: int, prefix: str) -> str:
    return str(enum.Name(value)).removeprefix(prefix)


class Frame:
    """What every page shares: the portal's dependencies, the reader's language, the page template, the one
    denied page, the try-again page, the signed-in guard, forms and their CSRF tokens, and the cookies."""

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

    def locale(self, request: Request) -> str:
        """The switcher's choice, else the opened link's message's language, else the browser's, else English."""
        chosen = i18n.supported(request.cookies.get(LANG_COOKIE, ""))
        linked = i18n.supported(request.cookies.get(LINK_LANG_COOKIE, ""))
        browser = i18n.from_accept_language(request.headers.get("accept-language", ""))
        return chosen or linked or browser or i18n.DEFAULT

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

    def _language_cookie(self, response: Response, locale: str) -> None:
        response.set_cookie(
            LANG_COOKIE, locale, max_age=365 * 86400, path="/", secure=self.secure, httponly=True, samesite="lax"
        )

    def _link_language_cookie(self, response: Response, locale: str) -> None:
        """The opened link's language, for this browser session: the next link replaces it."""
        response.set_cookie(LINK_LANG_COOKIE, locale, path="/", secure=self.secure, httponly=True, samesite="lax")

    def _done(self, request: Request) -> str:
        what = request.query_params.get("done", "")
        return what if what in DONE else ""
