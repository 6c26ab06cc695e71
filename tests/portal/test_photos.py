"""Photos through the portal and the repairs API: uploaded by the customer as a form, streamed to repairs,
checked by content and kept without EXIF or GPS; seen by the claim's centre and ops; limited in size and
number; a disguised file or a bomb is refused and nothing is kept."""

from __future__ import annotations

import html
import io
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from aftercare.repairs.v1 import repairs_pb2 as rpb
from PIL import Image

from tests.portal.helpers import browser, claim_with_link, csrf_and_request_id
from tests.repairs.test_photos import jpeg_with_gps, png_bomb
from tests.stack import CENTRE, OTHER_CENTRE, Stack

pytestmark = pytest.mark.timeout(120)


async def upload(web: httpx.AsyncClient, content: bytes, name: str = "fault.jpg", mime: str = "image/jpeg") -> str:
    page = await web.get("/claim/photos")
    csrf, request_id = csrf_and_request_id(page.text)
    sent = await web.post(
        "/claim/photos", data={"csrf": csrf, "request_id": request_id}, files={"photo": (name, content, mime)}
    )
    assert sent.status_code == 303
    return str(sent.headers["location"])


async def listed(stack: Stack, rma: str, principal: str = "ops") -> list[rpb.Attachment]:
    answer = await stack.repairs.ListAttachments(rpb.ListAttachmentsRequest(rma=rma), metadata=stack.as_(principal))
    return list(answer.attachments)


async def test_a_customer_adds_a_photo_that_is_kept_without_its_location(stack: Stack) -> None:
    claim, link = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        assert await upload(web, jpeg_with_gps()) == "/claim/photos?done=photo"
        page = await web.get("/claim/photos")
        [photo] = await listed(stack, claim.rma)
        assert f'src="/claim/photos/{photo.id}"' in page.text and photo.added_by == "customer"
        shown = await web.get(f"/claim/photos/{photo.id}")
        assert shown.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(shown.content))
    assert not image.getexif() and b"SpyCam" not in shown.content and image.size == (32, 64)
    parts = stack.repairs.GetAttachment(
        rpb.GetAttachmentRequest(rma=claim.rma, attachment_id=photo.id), metadata=stack.as_(CENTRE)
    )
    received = [part async for part in parts]
    assert received[0].attachment.id == photo.id
    assert b"".join(p.chunk for p in received) == shown.content
    with pytest.raises(grpc.aio.AioRpcError) as other:
        await listed(stack, claim.rma, OTHER_CENTRE)
    assert other.value.code() is grpc.StatusCode.NOT_FOUND


async def test_disguised_huge_or_bomb_files_are_refused_and_nothing_is_kept(stack: Stack) -> None:
    claim, link = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        script = b"<script>alert(1)</script>"
        assert await upload(web, script, "cat.jpg") == "/claim/photos?problem=not_a_photo"
        assert await upload(web, png_bomb(), "bomb.png", "image/png") == "/claim/photos?problem=not_a_photo"
        assert await upload(web, b"\xff\xd8\xff" + b"\0" * 10_100_000) == "/claim/photos?problem=too_large"
        page = await web.get("/claim/photos?problem=not_a_photo")
        assert "Ce fichier n'est pas une photo JPEG ou PNG." in html.unescape(page.text)
    assert await listed(stack, claim.rma) == []


async def test_a_claim_takes_five_photos_and_a_retried_upload_is_kept_once(stack: Stack) -> None:
    claim, link = await claim_with_link(stack)
    async with browser(stack) as web:
        await web.get(link.removeprefix(stack.portal_url))
        page = await web.get("/claim/photos")
        csrf, request_id = csrf_and_request_id(page.text)
        form = {"csrf": csrf, "request_id": request_id}
        for _ in range(2):  # the same form twice: one photo
            await web.post("/claim/photos", data=form, files={"photo": ("a.jpg", jpeg_with_gps(), "image/jpeg")})
        assert len(await listed(stack, claim.rma)) == 1
        for n in range(4):
            assert await upload(web, jpeg_with_gps(width=20 + n)) == "/claim/photos?done=photo"
        assert len(await listed(stack, claim.rma)) == 5
        assert 'type="file"' not in (await web.get("/claim/photos")).text
        csrf, request_id = csrf_and_request_id((await web.get("/claim")).text)  # a forged sixth post
        sixth = await web.post(
            "/claim/photos",
            data={"csrf": csrf, "request_id": request_id},
            files={"photo": ("f.jpg", jpeg_with_gps(width=90), "image/jpeg")},
        )
        assert sixth.headers["location"] == "/claim/photos?problem=too_many"
    assert len(await listed(stack, claim.rma)) == 5


async def test_the_api_refuses_a_stream_without_a_header_or_over_the_limit(stack: Stack) -> None:
    claim, _ = await claim_with_link(stack)

    async def parts(*messages: rpb.AddAttachmentRequest) -> AsyncIterator[rpb.AddAttachmentRequest]:
        for m in messages:
            yield m

    header = rpb.AddAttachmentRequest(header=rpb.AttachmentHeader(request_id="d" * 32, rma=claim.rma))
    big = rpb.AddAttachmentRequest(chunk=b"\xff\xd8\xff" + b"\0" * 1_000_000)
    for stream, code in (
        (parts(rpb.AddAttachmentRequest(chunk=b"x")), grpc.StatusCode.INVALID_ARGUMENT),
        (parts(header, *[big] * 11), grpc.StatusCode.INVALID_ARGUMENT),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stack.repairs.AddAttachment(stream, metadata=stack.as_("ops"))
        assert refused.value.code() is code
    added = await stack.repairs.AddAttachment(
        parts(header, rpb.AddAttachmentRequest(chunk=jpeg_with_gps())), metadata=stack.as_("retailer:demo-retailer")
    )
    assert added.attachment.added_by == "retailer"
