"""The portal's web pages: server-rendered HTML that works without JavaScript, in the reader's language.

Every page that shows a claim or a warranty needs a session, started by opening a message's link (`/l/<token>`)
or by a one-time code. Every action is a form with the session's CSRF token and a request id, so a double click
or a retried post changes nothing twice (the services dedupe by request id), and every action is the same
gRPC call a retailer's system makes, refused by the same workflow validators. Any denial, whatever its reason,
is the same page.

The pages by area, each a module of this package: `frame.py` (what every page shares), `sign_in.py`,
`claim_pages.py` (with `claim_context.py`, what a claim page shows), `warranty_pages.py`,
`preference_pages.py`; this module puts them together behind one route table."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from services.portal.web.claim_pages import ClaimPages
from services.portal.web.frame import HERE
from services.portal.web.preference_pages import PreferencePages
from services.portal.web.security import SecurityHeaders
from services.portal.web.sign_in import SignIn
from services.portal.web.warranty_pages import WarrantyPages

log = logging.getLogger("aftercare.portal")


class PortalWeb(SignIn, ClaimPages, WarrantyPages, PreferencePages):
    """The whole portal: every area's pages behind one route table."""

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
