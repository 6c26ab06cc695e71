"""The customer's message preferences, and the one-click unsubscribe of an offer's link (RFC 8058)."""

from __future__ import annotations

import uuid

from aftercare.notifications.v1 import notifications_pb2 as npb
from starlette.requests import Request
from starlette.responses import Response

from services.portal.access import Visit
from services.portal.backends import Denied, Down, Invalid
from services.portal.domain import links
from services.portal.web import i18n
from services.portal.web.frame import Frame, TooLarge

CHANNELS = {"email": npb.CHANNEL_EMAIL, "sms": npb.CHANNEL_SMS}


class PreferencePages(Frame):
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
