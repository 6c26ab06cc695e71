"""The notifications gRPC API: authenticate, validate, read the delivery log, manage preferences and
webhook endpoints, and queue messages. Errors are raised as domain errors; the server maps them."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from aftercare.notifications.v1 import notifications_pb2 as pb
from aftercare.notifications.v1 import notifications_pb2_grpc
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError

from contracts import queues
from contracts.notifications import NOTIFY_WORKFLOW, DeliveryReport, NotificationRequest, notify_workflow_id
from services.kit import pagination
from services.kit.auth import Principal, Role, current_principal
from services.kit.errors import NotFound, PermissionDenied, ResourceExhausted, Unavailable, Violations
from services.kit.grants import Purpose, current_grant
from services.kit.idempotency import fingerprint, recall, remember, run_once
from services.kit.rpc import opening
from services.kit.temporal import LazyClient
from services.kit.validation import canonical_locale, check_text
from services.notifications import mapping
from services.notifications.channels import check_target
from services.notifications.delivery import Retry
from services.notifications.directory import Directory, DirectoryUnavailable, RecipientNotFound
from services.notifications.domain.messages import ACCESS_CODE, WEBHOOK_EVENT_TYPES, Channel, Recipient, check_request
from services.notifications.domain.webhooks import UrlRefused, new_secret
from services.notifications.persistence.repository import DeliveryFilters, NotificationsRepository
from services.notifications.persistence.tables import AttemptRow, DeliveryRow, EndpointRow, PreferenceRow

_READERS = (Role.RETAILER, Role.CENTRE, Role.OPS, Role.SERVICE)
_CUSTOMER_CHANNELS = {pb.CHANNEL_EMAIL: Channel.EMAIL, pb.CHANNEL_SMS: Channel.SMS}
_PREFERENCE_FIELDS = ("channels", "locale", "marketing_opt_out")
DEFAULT_GRACE = timedelta(days=1)
MAX_GRACE = timedelta(days=7)
MAX_ENDPOINTS = 20


def can_see(principal: Principal, row: DeliveryRow) -> bool:
    if principal.role is Role.RETAILER:
        return row.retailer_id == principal.id
    if principal.role is Role.CENTRE:
        return row.centre_id == principal.id
    return True


def _customer_id(v: Violations, raw: str, field: str = "customer_id") -> str:
    value = raw.strip()
    if not (value.startswith("cus_") and 8 <= len(value) <= 40 and value[4:].isalnum()):
        v.add(field, "must be a customer id such as 'cus_…' (from the warranty service)")
    return value


def _mask(paths: Sequence[str], p: pb.Preferences) -> list[str]:
    """AIP-134: `*` replaces every field; an empty mask means the fields the request sets (a field left at
    its default is left alone); otherwise the named fields, set or not."""
    if list(paths) == ["*"]:
        return list(_PREFERENCE_FIELDS)
    if paths:
        return list(paths)
    is_set = {"channels": bool(p.channels), "locale": bool(p.locale), "marketing_opt_out": p.marketing_opt_out}
    return [field for field in _PREFERENCE_FIELDS if is_set[field]]


class NotificationsServicer(notifications_pb2_grpc.NotificationsServiceServicer):
    def __init__(
        self,
        repo: NotificationsRepository,
        directory: Directory,
        temporal: LazyClient,
        *,
        allow_dev_targets: bool,
        deliver_now: Callable[[NotificationRequest], Awaitable[DeliveryReport]] | None = None,
    ):
        self.repo = repo
        self.directory = directory
        self.temporal = temporal
        self.allow_dev_targets = allow_dev_targets
        self.deliver_now = deliver_now  # the dispatcher, for the portal's one-time codes

    # -- the delivery log ----------------------------------------------------------------------------------

    async def GetNotification(
        self, request: pb.GetNotificationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetNotificationResponse:
        principal = current_principal()
        principal.require(*_READERS)
        found = await self.repo.delivery(request.id.strip())
        if found is None or not can_see(principal, found[0]):
            raise NotFound(f"no notification {request.id.strip()[:40]}", reason="NOTIFICATION_NOT_FOUND")
        return pb.GetNotificationResponse(notification=mapping.notification(*found))

    async def ListNotifications(
        self, request: pb.ListNotificationsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListNotificationsResponse:
        principal = current_principal()
        principal.require(*_READERS)
        v = Violations()  # free-text filters: a NUL or a control character is a caller's mistake, not a query
        rma = check_text(v, "rma", request.rma, max_len=16).upper()
        serial = check_text(v, "serial", request.serial, max_len=64).upper()
        recipient = check_text(v, "recipient", request.recipient, max_len=80)
        key_prefix = check_text(v, "idempotency_key_prefix", request.idempotency_key_prefix, max_len=300)
        v.raise_if_any()
        filters = DeliveryFilters(
            rma=rma or None,
            serial=serial or None,
            recipient=recipient or None,
            key_prefix=key_prefix or None,
            retailer_id=principal.id if principal.role is Role.RETAILER else None,
            centre_id=principal.id if principal.role is Role.CENTRE else None,
        )
        key = dict(vars(filters))
        attempts: list[AttemptRow] = []

        async def deliveries(before: int | None, limit: int) -> list[DeliveryRow]:
            rows, found = await self.repo.deliveries(filters, before, limit)
            attempts.extend(found)
            return rows

        page = await pagination.page(request.page_size, request.page_token, key, deliveries, lambda row: row.pk)
        return pb.ListNotificationsResponse(
            notifications=[mapping.notification(row, attempts) for row in page.items],
            next_page_token=page.next_page_token,
        )

    async def SendNotification(
        self, request: pb.SendNotificationRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SendNotificationResponse:
        principal, v = opening(request.request_id, Role.OPS, Role.SERVICE, Role.PORTAL)
        variables = dict(request.variables)
        for field, problem in check_request(request.template, request.recipient, variables):
            v.add(field, problem)
        v.raise_if_any()
        if principal.role is Role.PORTAL or request.template == ACCESS_CODE:
            return await self._access_code(principal, request, variables)
        scope, digest = str(principal), fingerprint("SendNotification", request)
        prior = await recall(self.repo.db, scope, request.request_id, digest)
        if prior is not None:
            return pb.SendNotificationResponse.FromString(prior)
        key = f"send/{principal}/{request.request_id}"
        message = NotificationRequest(
            key=key,
            template=request.template,
            recipient=request.recipient,
            variables=variables,
            rma=variables.get("rma", ""),
            serial=variables.get("serial", ""),
        )
        client = await self.temporal.get()
        try:
            await client.start_workflow(
                NOTIFY_WORKFLOW,
                message,
                id=notify_workflow_id(key),
                task_queue=queues.CLAIMS,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            )
        except RPCError:
            raise Unavailable(
                "the workflow engine is unavailable; retry later", reason="TEMPORAL_UNAVAILABLE"
            ) from None
        response = pb.SendNotificationResponse(idempotency_key=key)
        await remember(self.repo.db, scope, request.request_id, digest, response.SerializeToString())
        return response

    async def _access_code(
        self, principal: Principal, request: pb.SendNotificationRequest, variables: dict[str, str]
    ) -> pb.SendNotificationResponse:
        """The portal's one-time code, sent now rather than through a workflow: a code must not sit in Temporal's
        history, and one that did not arrive is simply asked for again. Only the portal sends it, only to the
        customer of the claim its grant names."""
        recipient = Recipient.parse(request.recipient)
        if principal.role is not Role.PORTAL or request.template != ACCESS_CODE:
            raise PermissionDenied(
                "one-time codes are the portal's, and the portal sends nothing else", reason="ROLE_NOT_ALLOWED"
            )
        grant = current_grant()
        if grant is None or grant.subject.value != recipient.kind.value or grant.ref != recipient.id:
            raise NotFound("no such recipient", reason="RECIPIENT_NOT_FOUND")
        key = f"send/{principal}/{request.request_id}"
        assert self.deliver_now is not None
        message = NotificationRequest(key=key, template=ACCESS_CODE, recipient=request.recipient, variables=variables)
        try:
            await self.deliver_now(message)
        except (Retry, DirectoryUnavailable):
            raise Unavailable("the message could not be sent now; retry later", reason="NOT_SENT") from None
        except RecipientNotFound:
            raise NotFound("no such recipient", reason="RECIPIENT_NOT_FOUND") from None
        return pb.SendNotificationResponse(idempotency_key=key)

    # -- preferences ----------------------------------------------------------------------------------------

    async def _may_manage(self, principal: Principal, customer_id: str) -> None:
        """Ops and services manage anyone's preferences; a retailer those of customers it sold to; the portal
        those of the customer whose link it serves."""
        principal.require(Role.RETAILER, Role.OPS, Role.SERVICE, Role.PORTAL)
        if principal.role is Role.PORTAL:
            grant = current_grant()
            if grant is None or not customer_id or grant.customer_id != customer_id:
                raise NotFound("no customer with this id", reason="CUSTOMER_NOT_FOUND")
            if Purpose.PREFERENCES not in grant.purposes:
                raise PermissionDenied("this link does not allow preferences", reason="PURPOSE_NOT_GRANTED")
            return
        if principal.role is not Role.RETAILER:
            return
        try:
            sold = await self.directory.sold_to(customer_id, principal.id)
        except DirectoryUnavailable:
            raise Unavailable(
                "the warranty service is unavailable; retry later", reason="WARRANTY_UNAVAILABLE"
            ) from None
        if not sold:
            raise NotFound("no customer with this id among your sales", reason="CUSTOMER_NOT_FOUND")

    async def GetPreferences(
        self, request: pb.GetPreferencesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GetPreferencesResponse:
        principal = current_principal()
        principal.require(Role.RETAILER, Role.OPS, Role.SERVICE, Role.PORTAL)
        v = Violations()
        customer = _customer_id(v, request.customer_id)
        v.raise_if_any()
        await self._may_manage(principal, customer)
        row = await self.repo.preferences(customer)
        return pb.GetPreferencesResponse(preferences=mapping.preferences(customer, row))

    async def UpdatePreferences(
        self, request: pb.UpdatePreferencesRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.UpdatePreferencesResponse:
        principal, v = opening(request.request_id, Role.RETAILER, Role.OPS, Role.SERVICE, Role.PORTAL)
        p = request.preferences
        customer = _customer_id(v, p.customer_id, "preferences.customer_id")
        paths = _mask(request.update_mask.paths, p)
        for path in paths:
            if path not in _PREFERENCE_FIELDS:
                v.add("update_mask", f"{path!r} is not one of {', '.join(_PREFERENCE_FIELDS)}")
        channels = [_CUSTOMER_CHANNELS.get(c) for c in p.channels]
        if None in channels or len(set(channels)) != len(channels):
            v.add("preferences.channels", "each of CHANNEL_EMAIL and CHANNEL_SMS at most once")
        locale = ""
        if p.locale:
            try:
                locale = canonical_locale(p.locale)
            except ValueError as exc:
                v.add("preferences.locale", str(exc))
        v.raise_if_any()
        await self._may_manage(principal, customer)

        async def save(session: AsyncSession) -> pb.UpdatePreferencesResponse:
            row = await session.get(PreferenceRow, customer) or PreferenceRow(
                customer_id=customer, updated_at=datetime.now(UTC)
            )
            if "channels" in paths:
                row.channels = ",".join(c.value for c in channels if c is not None)
            if "locale" in paths:
                row.locale = locale
            if "marketing_opt_out" in paths:
                row.marketing_opt_out = p.marketing_opt_out
            row.updated_at = datetime.now(UTC)
            session.add(row)
            return pb.UpdatePreferencesResponse(preferences=mapping.preferences(customer, row))

        return await run_once(
            self.repo.db, str(principal), request, "UpdatePreferences", pb.UpdatePreferencesResponse, save
        )

    # -- webhook endpoints ------------------------------------------------------------------------------------

    @staticmethod
    def _retailer(principal: Principal, v: Violations, given: str) -> str:
        principal.require(Role.RETAILER, Role.OPS)
        if principal.role is Role.RETAILER:
            if given not in ("", principal.id):
                raise PermissionDenied("a retailer manages only its own endpoints", reason="OTHER_RETAILER")
            return principal.id
        if not given:
            v.add("retailer_id", "is required for ops")
        return given

    async def _own_endpoint(self, principal: Principal, endpoint_id: str, session: AsyncSession) -> EndpointRow:
        principal.require(Role.RETAILER, Role.OPS)
        row = await self.repo.endpoint(endpoint_id, session)
        if row is None or (principal.role is Role.RETAILER and row.retailer_id != principal.id):
            raise NotFound(f"no webhook endpoint {endpoint_id[:40]}", reason="ENDPOINT_NOT_FOUND")
        return row

    async def CreateWebhookEndpoint(
        self, request: pb.CreateWebhookEndpointRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.CreateWebhookEndpointResponse:
        principal, v = opening(request.request_id, Role.RETAILER, Role.OPS)
        retailer = self._retailer(principal, v, request.retailer_id.strip())
        unknown = sorted(set(request.event_types) - set(WEBHOOK_EVENT_TYPES))
        if unknown:
            v.add("event_types", f"unknown {', '.join(unknown)}; known: {', '.join(WEBHOOK_EVENT_TYPES)}")
        try:
            await check_target(request.url.strip(), allow_dev_targets=self.allow_dev_targets)
        except UrlRefused as exc:
            v.add("url", str(exc))
        v.raise_if_any()

        async def create(session: AsyncSession) -> pb.CreateWebhookEndpointResponse:
            if len(await self.repo.endpoints(retailer, limit=MAX_ENDPOINTS)) >= MAX_ENDPOINTS:
                raise ResourceExhausted(f"at most {MAX_ENDPOINTS} endpoints per retailer", reason="TOO_MANY_ENDPOINTS")
            secret = new_secret()
            row = EndpointRow(
                id="whe_" + secrets.token_hex(10),
                retailer_id=retailer,
                url=request.url.strip(),
                event_types=",".join(sorted(set(request.event_types))),
                secret=secret,
                created_at=datetime.now(UTC),
            )
            session.add(row)
            return pb.CreateWebhookEndpointResponse(endpoint=mapping.endpoint(row), secret=secret)

        return await run_once(
            self.repo.db, str(principal), request, "CreateWebhookEndpoint", pb.CreateWebhookEndpointResponse, create
        )

    async def ListWebhookEndpoints(
        self, request: pb.ListWebhookEndpointsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListWebhookEndpointsResponse:
        principal = current_principal()
        v = Violations()
        retailer = self._retailer(principal, v, request.retailer_id.strip())
        v.raise_if_any()
        filters = {"retailer_id": retailer}
        page = await pagination.page(
            request.page_size,
            request.page_token,
            filters,
            lambda after, limit: self.repo.endpoints(retailer, after, limit),
            lambda row: row.id,
        )
        return pb.ListWebhookEndpointsResponse(
            endpoints=[mapping.endpoint(r) for r in page.items], next_page_token=page.next_page_token
        )

    async def DeleteWebhookEndpoint(
        self, request: pb.DeleteWebhookEndpointRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.DeleteWebhookEndpointResponse:
        principal, v = opening(request.request_id, Role.RETAILER, Role.OPS)
        v.raise_if_any()

        async def delete(session: AsyncSession) -> pb.DeleteWebhookEndpointResponse:
            row = await self._own_endpoint(principal, request.id.strip(), session)
            await session.delete(row)
            return pb.DeleteWebhookEndpointResponse()

        return await run_once(
            self.repo.db, str(principal), request, "DeleteWebhookEndpoint", pb.DeleteWebhookEndpointResponse, delete
        )

    async def RotateWebhookSecret(
        self, request: pb.RotateWebhookSecretRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.RotateWebhookSecretResponse:
        principal, v = opening(request.request_id, Role.RETAILER, Role.OPS)
        grace = timedelta(seconds=request.grace_period_seconds) if request.grace_period_seconds else DEFAULT_GRACE
        if not timedelta(0) <= grace <= MAX_GRACE:
            v.add("grace_period_seconds", f"must be from 0 to {int(MAX_GRACE.total_seconds())}")
        v.raise_if_any()

        async def rotate(session: AsyncSession) -> pb.RotateWebhookSecretResponse:
            row = await self._own_endpoint(principal, request.id.strip(), session)
            now = datetime.now(UTC)
            secret = new_secret()
            row.previous_secret, row.previous_expires_at = row.secret, now + grace
            row.secret, row.rotated_at = secret, now
            session.add(row)
            return pb.RotateWebhookSecretResponse(endpoint=mapping.endpoint(row), secret=secret)

        return await run_once(
            self.repo.db, str(principal), request, "RotateWebhookSecret", pb.RotateWebhookSecretResponse, rotate
        )
