"""The warranty's page and its extended plan offer, paid once per form."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.kit.l10n import local_date, money, reader_zone
from services.portal.access import Visit
from services.portal.backends import Invalid, Refused
from services.portal.domain.warranty_view import WarrantyFacts, last_covered_moment
from services.portal.domain.warranty_view import view as warranty_view
from services.portal.payments import PaymentDeclined
from services.portal.web import i18n
from services.portal.web.frame import Frame, enum_name


class WarrantyPages(Frame):
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
                t(f"state.{enum_name(rpb.ClaimState, c.state, 'CLAIM_STATE_')}"),
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
