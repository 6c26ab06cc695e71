"""Signing in: a message's link (`/l/<token>`) or a one-time code sent to the contact on file, the language
switch, and signing out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.kit.grants import Subject
from services.portal.backends import Denied, Down, Invalid, Refused
from services.portal.web import i18n
from services.portal.web.frame import CODE_COOKIE, PAGES, Frame, TooLarge


class SignIn(Frame):
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

    async def open_link(self, request: Request) -> Response:
        try:
            opened = await self.access.open_link(request.path_params["token"])
        except Down:
            return self.down(request)
        if opened is None:
            return self.denied(request)
        response = RedirectResponse(PAGES[opened.page], status_code=303)
        self._session_cookie(response, opened.session_id)
        if locale := i18n.supported(opened.locale):  # the message's language; a choice made on the switcher wins
            self._link_language_cookie(response, locale)
        return response

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
