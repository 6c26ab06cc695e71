"""Sending a message exactly once per delivery key, however often it is asked for.

1. The request names a business key, a template and a recipient reference. Once every delivery under the
   key is final (sent, failed or suppressed), asking again sends nothing and resolves nothing.
2. The recipient is resolved from its owner; its preferences pick the channels and the locale.
3. Each channel/destination gets a row keyed `<key>/<channel>` (one row per key, whoever inserts first).
4. A queued row is sent under a lease: a conditional update that only one attempt wins until the lease
   runs out. The winner opens an attempt, hands the message to the provider and records the outcome.
   A temporary failure leaves the row queued and makes the activity fail, so Temporal retries it with
   backoff; a permanent one marks the row failed.

The window no system closes: if the process dies after the provider accepted a message and before the row
says SENT, the next attempt (after the lease) sends it again. The resend carries the same message id (the
e-mail's Message-ID, the SMS client_reference, the webhook-id), derived from the delivery key, so the
receiver, and anyone reading the sink, can tell it is the same message. See docs/notifications.md."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from contracts.notifications import DeliveryReport, NotificationRequest
from services.notifications import metrics
from services.notifications.channels import EmailChannel, Permanent, SmsChannel, Temporary, WebhookChannel
from services.notifications.directory import Addressee, Directory
from services.notifications.domain.messages import (
    DEFAULT_LOCALE,
    FINAL,
    LINKS,
    TEMPLATES,
    Category,
    Channel,
    Choices,
    DeliveryState,
    Recipient,
    RecipientKind,
    Target,
    TemplateSpec,
    customer_locale,
    customer_targets,
    delivery_key,
    mask,
    message_id,
)
from services.notifications.links import Links
from services.notifications.persistence.repository import NotificationsRepository
from services.notifications.persistence.tables import DeliveryRow, EndpointRow, PreferenceRow
from services.notifications.rendering import Rendered, Renderer

log = logging.getLogger("aftercare.notifications")


class Retry(Exception):
    """At least one delivery must be tried again later; the others are done."""


def choices(row: PreferenceRow | None) -> Choices:
    if row is None:
        return Choices()
    channels = tuple(Channel(c) for c in row.channels.split(",") if c)
    return Choices(channels=channels, locale=row.locale, marketing_opt_out=row.marketing_opt_out)


def live_secrets(endpoint: EndpointRow, now: datetime) -> list[str]:
    """The secrets a delivery is signed with: the current one, and the previous one during its grace."""
    keep = endpoint.previous_secret and endpoint.previous_expires_at and endpoint.previous_expires_at > now
    return [endpoint.secret, endpoint.previous_secret] if keep else [endpoint.secret]


def webhook_body(template: str, message_id: str, variables: dict[str, str]) -> bytes:
    """The payload, the same bytes on every attempt: {type, id, timestamp (of the event), data}."""
    payload = {"type": template, "id": message_id, "timestamp": variables.get("occurred_at", ""), "data": variables}
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Plan:
    """Who gets the message where, in which locale, and what it is about."""

    targets: list[Target]
    locale: str
    addressee: Addressee | None


class Dispatcher:
    def __init__(
        self,
        repo: NotificationsRepository,
        directory: Directory,
        renderer: Renderer,
        links: Links,
        email: EmailChannel,
        sms: SmsChannel,
        webhooks: WebhookChannel,
        *,
        ops_email: str,
        lease: timedelta,
    ) -> None:
        self.repo, self.directory, self.renderer, self.links = repo, directory, renderer, links
        self.email, self.sms, self.webhooks = email, sms, webhooks
        self.ops_email, self.lease = ops_email, lease

    async def deliver(self, request: NotificationRequest) -> DeliveryReport:
        """Send what is not yet sent under `request.key`. Raises `Retry` when something must be tried again,
        and RecipientNotFound / DirectoryUnavailable from the directory."""
        spec = TEMPLATES[request.template]
        existing = await self.repo.deliveries_for(request.key)
        if existing and all(DeliveryState(r.state) in FINAL for r in existing):
            return report(existing)
        plan = await self._plan(spec, Recipient.parse(request.recipient), request)
        rendered = await self._render(spec, request, plan)
        pending = 0
        for target in plan.targets:
            fresh = self._row(spec, request, plan, target, rendered)
            if target.suppressed:
                await self._suppress(fresh, target.suppressed)
            elif not await self._deliver_one(fresh, target, rendered, request):
                pending += 1  # another attempt holds it, or it failed for now: look again on the retry
        await self._drop_unwanted(existing, {delivery_key(request.key, target) for target in plan.targets})
        if pending:
            raise Retry(f"{pending} deliveries will be retried")
        return report(await self.repo.deliveries_for(request.key))

    async def _render(self, spec: TemplateSpec, request: NotificationRequest, plan: Plan) -> Rendered | None:
        """The message as its reader gets it (None when it goes only to webhooks, which carry the variables)."""
        if all(t.channel is Channel.WEBHOOK for t in plan.targets):
            return None
        zone = plan.addressee.time_zone if plan.addressee else ""
        link, unsubscribe = await self._link(spec, request, plan.locale, zone)
        rendered = self.renderer.render(spec.name, plan.locale, request.variables, zone, link)
        if spec.category is Category.MARKETING:
            rendered = replace(rendered, unsubscribe_url=unsubscribe)
        return rendered

    async def _drop_unwanted(self, existing: list[DeliveryRow], wanted: set[str]) -> None:
        """Suppress what was queued before and is no longer wanted (an endpoint deleted, a preference changed)."""
        for row in existing:
            if row.key not in wanted and row.state == DeliveryState.QUEUED.value:
                await self.repo.suppress(row.pk or 0, "NO_LONGER_WANTED")

    async def _suppress(self, fresh: DeliveryRow, reason: str) -> None:
        """Record a delivery that is not sent, in the one insert; a row queued earlier is suppressed now."""
        fresh.state, fresh.reason = DeliveryState.SUPPRESSED.value, reason
        row, inserted = await self.repo.ensure(fresh)
        queued = row.state == DeliveryState.QUEUED.value
        if queued:
            await self.repo.suppress(row.pk or 0, reason)
        if inserted or queued:
            self._log(row, DeliveryState.SUPPRESSED, reason)

    async def _deliver_one(
        self, fresh: DeliveryRow, target: Target, rendered: Rendered | None, request: NotificationRequest
    ) -> bool:
        """Take the delivery's lease and attempt it, unless it is final; False when it must be tried again."""
        now = datetime.now(UTC)
        row, number = await self.repo.begin(fresh, now, now + self.lease)
        if DeliveryState(row.state) in FINAL:
            return True
        return number is not None and await self._attempt(row, number, target, rendered, request)

    async def _link(self, spec: TemplateSpec, request: NotificationRequest, locale: str, zone: str) -> tuple[str, str]:
        """The portal's link for this message, if its template has one (a fresh token each time it is rendered:
        only the message that is sent carries one), and the same token's one-click unsubscribe URL."""
        if spec.name not in LINKS:
            return "", ""
        page = LINKS[spec.name][1]
        recipient = Recipient.parse(request.recipient)
        if recipient.kind is RecipientKind.WARRANTY:
            return await self.links.link(serial=recipient.id, page=page, locale=locale, zone=zone)
        return await self.links.link(rma=recipient.id, page=page, locale=locale, zone=zone)

    async def _plan(self, spec: TemplateSpec, recipient: Recipient, request: NotificationRequest) -> Plan:
        if recipient.kind is RecipientKind.OPS:
            target = Target(Channel.EMAIL, self.ops_email, mask(Channel.EMAIL, self.ops_email))
            return Plan([target], DEFAULT_LOCALE, None)
        if recipient.kind is RecipientKind.RETAILER:
            targets = [
                Target(Channel.WEBHOOK, e.url, e.id, endpoint_id=e.id)
                for e in await self.repo.endpoints(recipient.id)
                if not e.event_types or spec.name in e.event_types.split(",")
            ]
            return Plan(targets, DEFAULT_LOCALE, None)
        if recipient.kind is RecipientKind.CLAIM:
            addressee = await self.directory.claim_customer(recipient.id)
        else:
            addressee = await self.directory.warranty_owner(recipient.id)
        prefs = choices(await self.repo.preferences(addressee.customer_id)) if addressee.customer_id else Choices()
        return Plan(
            customer_targets(spec, addressee.contact, prefs), customer_locale(addressee.contact, prefs), addressee
        )

    def _row(
        self, spec: TemplateSpec, request: NotificationRequest, plan: Plan, target: Target, rendered: Rendered | None
    ) -> DeliveryRow:
        key = delivery_key(request.key, target)
        addressee = plan.addressee
        return DeliveryRow(
            id=message_id(key),
            key=key,
            event_key=request.key,
            channel=target.channel.value,
            template=spec.name,
            category=spec.category.value,
            locale=plan.locale,
            recipient=request.recipient,
            destination=target.destination,
            endpoint_id=target.endpoint_id,
            rma=request.rma or (addressee.rma if addressee else ""),
            serial=request.serial or (addressee.serial if addressee else ""),
            retailer_id=request.retailer_id or (addressee.retailer_id if addressee else ""),
            centre_id=request.centre_id or (addressee.centre_id if addressee else ""),
            subject=spec.name if target.channel is Channel.WEBHOOK or rendered is None else rendered.subject[:300],
            state=DeliveryState.QUEUED.value,
            created_at=datetime.now(UTC),
        )

    async def _attempt(
        self, row: DeliveryRow, number: int, target: Target, rendered: Rendered | None, request: NotificationRequest
    ) -> bool:
        """Attempt `number`, under the lease; False when the delivery must be tried again later."""
        try:
            provider_id = await self._send(row, target, rendered, request)
        except Permanent as exc:
            await self.repo.finish(
                row.pk or 0, number, datetime.now(UTC), outcome="FAILED", error=exc.reason, state=DeliveryState.FAILED
            )
            self._log(row, DeliveryState.FAILED, exc.reason)
            return True
        except Temporary as exc:
            await self.repo.finish(row.pk or 0, number, datetime.now(UTC), outcome="RETRY", error=exc.reason)
            self._log(row, DeliveryState.QUEUED, exc.reason)
            return False
        await self.repo.finish(
            row.pk or 0,
            number,
            datetime.now(UTC),
            outcome="SENT",
            state=DeliveryState.SENT,
            provider_message_id=provider_id,
        )
        self._log(row, DeliveryState.SENT, "")
        return True

    async def _send(
        self, row: DeliveryRow, target: Target, rendered: Rendered | None, request: NotificationRequest
    ) -> str:
        if target.channel is Channel.WEBHOOK:
            endpoint = await self.repo.endpoint(target.endpoint_id)
            if endpoint is None:
                raise Permanent("the endpoint was deleted")
            body = webhook_body(request.template, row.id, request.variables)
            return await self.webhooks.send(row.id, endpoint.url, live_secrets(endpoint, datetime.now(UTC)), body)
        assert rendered is not None
        if target.channel is Channel.EMAIL:
            return await self.email.send(row.id, target.address, rendered)
        return await self.sms.send(row.id, target.address, rendered)

    @staticmethod
    def _log(row: DeliveryRow, state: DeliveryState, reason: str) -> None:
        """Log and count one attempt's outcome (QUEUED: it will be retried)."""
        metrics.DELIVERIES.labels(row.channel, "RETRY" if state is DeliveryState.QUEUED else state.value).inc()
        log.info(
            "delivery",
            extra={
                "message_id": row.id,
                "key": row.key,
                "channel": row.channel,
                "template": row.template,
                "state": state.value,
                "reason": reason,
            },
        )


def report(rows: list[DeliveryRow]) -> DeliveryReport:
    states = [DeliveryState(r.state) for r in rows]
    return DeliveryReport(
        sent=states.count(DeliveryState.SENT),
        suppressed=states.count(DeliveryState.SUPPRESSED),
        failed=states.count(DeliveryState.FAILED),
    )
