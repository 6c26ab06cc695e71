"""The services the portal calls for a customer, as principal `portal`, each call carrying the grant of the
link or session being served (services/kit/grants.py): the services serve only what it names."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import grpc
from aftercare.common.v1 import money_pb2
from aftercare.notifications.v1 import notifications_pb2 as npb
from aftercare.notifications.v1 import notifications_pb2_grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.repairs.v1 import repairs_pb2_grpc
from aftercare.warranty.v1 import warranty_pb2 as wpb
from aftercare.warranty.v1 import warranty_pb2_grpc
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.kit import grants
from services.kit.auth import key_digest
from services.kit.grants import Grant

CALL_GRANT = timedelta(minutes=2)  # a signed grant outlives one call by little
T = TypeVar("T")


class Denied(Exception):
    """The service does not know the subject, or does not let this link touch it: one page for every case."""


class Refused(Exception):
    """The service refused the action in the claim's current state (e.g. the quote already lapsed)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Invalid(Exception):
    """The service found the input wrong (e.g. a score out of range)."""


class Down(Exception):
    """A service did not answer: the customer may try again in a moment."""


def _failure(exc: grpc.aio.AioRpcError) -> Exception:
    code = exc.code()
    if code in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED):
        return Denied(code.name)
    if code is grpc.StatusCode.FAILED_PRECONDITION:
        return Refused(_reason(exc))
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return Invalid(exc.details() or "")
    return Down(code.name)


async def _guarded(call: Awaitable[T]) -> T:
    """The call's answer; what the service refused, or a service that did not answer, as the portal's kinds
    (Denied, Refused, Invalid, Down)."""
    try:
        return await call
    except grpc.aio.AioRpcError as exc:
        raise _failure(exc) from None


def _reason(exc: grpc.aio.AioRpcError) -> str:
    """The ErrorInfo reason, e.g. ILLEGAL_TRANSITION."""
    status = rpc_status.from_call(exc)
    for detail in status.details if status else ():
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return str(info.reason)
    return "REFUSED"


class Backends:
    def __init__(
        self,
        repairs: grpc.aio.Channel,
        warranty: grpc.aio.Channel,
        notifications: grpc.aio.Channel,
        portal_key: str,
        *,
        timeout: float = 5.0,
    ):
        self._channels = (repairs, warranty, notifications)
        self._repairs = repairs_pb2_grpc.RepairsServiceStub(repairs)
        self._warranty = warranty_pb2_grpc.WarrantyServiceStub(warranty)
        self._notifications = notifications_pb2_grpc.NotificationsServiceStub(notifications)
        self._key = portal_key
        self._digest = key_digest(portal_key)
        self._timeout = timeout

    def _metadata(self, grant: Grant | None) -> tuple[tuple[str, str], ...]:
        """The portal's key and, but for the contact checks (how a customer without a link gets one), the grant
        of the link or session being served, signed for this call."""
        key = (("authorization", f"Bearer {self._key}"),)
        if grant is None:
            return key
        call = Grant(
            grant.subject,
            grant.ref,
            grant.purposes,
            min(grant.expires_at, datetime.now(UTC) + CALL_GRANT),
            grant.customer_id,
        )
        return (*key, (grants.METADATA_KEY, grants.sign(call, self._digest)))

    async def _call(
        self, method: Callable[..., Awaitable[Any]], request: object, grant: Grant | None, *, slow: bool = False
    ) -> Any:
        """One guarded call (`slow`: an upload, given four times the timeout)."""
        timeout = self._timeout * (4 if slow else 1)
        return await _guarded(method(request, metadata=self._metadata(grant), timeout=timeout))

    # -- claims -------------------------------------------------------------------------------------------

    async def claim(self, grant: Grant) -> rpb.Claim:
        answer = await self._call(self._repairs.GetClaim, rpb.GetClaimRequest(rma=grant.ref), grant)
        assert isinstance(answer, rpb.GetClaimResponse)
        return answer.claim

    async def label(self, grant: Grant) -> bytes:
        request = rpb.GetShippingLabelRequest(rma=grant.ref, direction=rpb.DIRECTION_TO_CENTRE)
        answer = await self._call(self._repairs.GetShippingLabel, request, grant)
        assert isinstance(answer, rpb.GetShippingLabelResponse)
        return answer.pdf

    async def decide_quote(self, grant: Grant, accept: bool, request_id: str) -> None:
        request = rpb.DecideQuoteRequest(request_id=request_id, rma=grant.ref, accept=accept)
        await self._call(self._repairs.DecideQuote, request, grant)

    async def cancel(self, grant: Grant, request_id: str) -> None:
        request = rpb.CancelClaimRequest(request_id=request_id, rma=grant.ref, reason="cancelled by the customer")
        await self._call(self._repairs.CancelClaim, request, grant)

    async def answer(self, grant: Grant, text: str, request_id: str) -> None:
        """The answer to ops' information request (photos added before it count with it)."""
        request = rpb.AnswerInformationRequestRequest(request_id=request_id, rma=grant.ref, text=text)
        await self._call(self._repairs.AnswerInformationRequest, request, grant)

    async def feedback(self, grant: Grant, score: int, comment: str, request_id: str) -> None:
        request = rpb.SubmitFeedbackRequest(request_id=request_id, rma=grant.ref, score=score, comment=comment)
        await self._call(self._repairs.SubmitFeedback, request, grant)

    async def photos(self, grant: Grant) -> list[rpb.Attachment]:
        answer = await self._call(self._repairs.ListAttachments, rpb.ListAttachmentsRequest(rma=grant.ref), grant)
        assert isinstance(answer, rpb.ListAttachmentsResponse)
        return list(answer.attachments)

    async def add_photo(self, grant: Grant, request_id: str, content: bytes) -> rpb.Attachment:
        """Streams the file to repairs, which checks and re-encodes it (Invalid when it is not a photo we keep,
        Refused when the claim has enough or is over)."""

        async def parts() -> AsyncIterator[rpb.AddAttachmentRequest]:
            yield rpb.AddAttachmentRequest(header=rpb.AttachmentHeader(request_id=request_id, rma=grant.ref))
            for start in range(0, len(content), 256 * 1024):
                yield rpb.AddAttachmentRequest(chunk=content[start : start + 256 * 1024])

        answer = await self._call(self._repairs.AddAttachment, parts(), grant, slow=True)
        assert isinstance(answer, rpb.AddAttachmentResponse)
        return answer.attachment

    async def photo(self, grant: Grant, attachment_id: str) -> tuple[rpb.Attachment, bytes]:
        request = rpb.GetAttachmentRequest(rma=grant.ref, attachment_id=attachment_id)

        async def read() -> tuple[rpb.Attachment, bytes]:
            attachment, content = rpb.Attachment(), bytearray()
            async for part in self._repairs.GetAttachment(
                request, metadata=self._metadata(grant), timeout=self._timeout
            ):
                if part.HasField("attachment"):
                    attachment = part.attachment
                content += part.chunk
            return attachment, bytes(content)

        return await _guarded(read())

    async def verify_contact(self, rma: str, contact: str) -> rpb.VerifyClaimContactResponse:
        """Whether `contact` is on file for claim `rma` (no grant: this is how a customer without a link gets one)."""
        answer = await self._call(
            self._repairs.VerifyClaimContact, rpb.VerifyClaimContactRequest(rma=rma, contact=contact), None
        )
        assert isinstance(answer, rpb.VerifyClaimContactResponse)
        return answer

    async def verify_owner(self, serial: str, contact: str) -> wpb.VerifyWarrantyContactResponse:
        """Whether `contact` is the owner's on file for `serial` (no grant, as verify_contact)."""
        request = wpb.VerifyWarrantyContactRequest(serial=serial, contact=contact)
        answer = await self._call(self._warranty.VerifyWarrantyContact, request, None)
        assert isinstance(answer, wpb.VerifyWarrantyContactResponse)
        return answer

    async def send_code(self, grant: Grant, code: str, request_id: str) -> None:
        """The one-time code to the contact on file for the granted claim or warranty (notifications sends it
        at once)."""
        request = npb.SendNotificationRequest(
            request_id=request_id,
            template="access_code",
            recipient=f"{grant.subject.value}:{grant.ref}",
            variables={"reference": grant.ref, "code": code},
        )
        await self._call(self._notifications.SendNotification, request, grant)

    # -- warranties ---------------------------------------------------------------------------------------

    async def warranty(self, grant: Grant) -> wpb.Warranty:
        answer = await self._call(self._warranty.GetWarranty, wpb.GetWarrantyRequest(serial=grant.ref), grant)
        assert isinstance(answer, wpb.GetWarrantyResponse)
        return answer.warranty

    async def claims_on(self, grant: Grant) -> list[rpb.Claim]:
        """The claims on the granted warranty's unit, newest first (customer-safe)."""
        request = rpb.ListClaimsRequest(serial=grant.ref, page_size=20)
        answer = await self._call(self._repairs.ListClaims, request, grant)
        assert isinstance(answer, rpb.ListClaimsResponse)
        return list(answer.claims)

    async def product(self, grant: Grant, sku: str) -> wpb.Product:
        answer = await self._call(self._warranty.GetProduct, wpb.GetProductRequest(sku=sku), grant)
        assert isinstance(answer, wpb.GetProductResponse)
        return answer.product

    async def buy_plan(
        self, grant: Grant, *, months: int, price: money_pb2.Money, reference: str, request_id: str
    ) -> wpb.Warranty:
        request = wpb.PurchaseExtendedPlanRequest(
            request_id=request_id, serial=grant.ref, plan_reference=reference, months=months, price=price
        )
        answer = await self._call(self._warranty.PurchaseExtendedPlan, request, grant)
        assert isinstance(answer, wpb.PurchaseExtendedPlanResponse)
        return answer.warranty

    # -- preferences --------------------------------------------------------------------------------------

    async def preferences(self, grant: Grant) -> npb.Preferences:
        request = npb.GetPreferencesRequest(customer_id=grant.customer_id)
        answer = await self._call(self._notifications.GetPreferences, request, grant)
        assert isinstance(answer, npb.GetPreferencesResponse)
        return answer.preferences

    async def set_preferences(
        self, grant: Grant, preferences: npb.Preferences, paths: list[str], request_id: str
    ) -> npb.Preferences:
        preferences.customer_id = grant.customer_id
        request = npb.UpdatePreferencesRequest(
            request_id=request_id, preferences=preferences, update_mask=field_mask_pb2.FieldMask(paths=paths)
        )
        answer = await self._call(self._notifications.UpdatePreferences, request, grant)
        assert isinstance(answer, npb.UpdatePreferencesResponse)
        return answer.preferences

    async def close(self) -> None:
        for channel in self._channels:
            await channel.close()
