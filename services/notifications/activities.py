"""The activity the notifications service hosts on task queue "notifications". Workflows call it with a
business key; it is safe to retry and to call twice (see delivery.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.notifications import SEND_NOTIFICATION, DeliveryReport, NotificationRequest
from services.notifications.delivery import Dispatcher, Retry
from services.notifications.directory import DirectoryUnavailable, RecipientNotFound
from services.notifications.domain.messages import TEMPLATES

HEARTBEAT_EVERY = 1.0


class NotificationsActivities:
    def __init__(self, dispatcher: Dispatcher):
        self.dispatcher = dispatcher

    @activity.defn(name=SEND_NOTIFICATION)
    async def send_notification(self, request: NotificationRequest) -> DeliveryReport:
        if request.template not in TEMPLATES:
            raise ApplicationError(f"no template {request.template!r}", type="UNKNOWN_TEMPLATE", non_retryable=True)
        beating = asyncio.create_task(_heartbeat())
        try:
            return await self.dispatcher.deliver(request)
        except Retry as exc:
            raise ApplicationError(str(exc), type="DELIVERY_RETRY") from None
        except DirectoryUnavailable as exc:
            raise ApplicationError(str(exc), type="DIRECTORY_UNAVAILABLE") from None
        except RecipientNotFound as exc:
            raise ApplicationError(str(exc), type="RECIPIENT_NOT_FOUND", non_retryable=True) from None
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    def all(self) -> list[Callable[..., Any]]:
        return [self.send_notification]


async def _heartbeat() -> None:
    """Tell Temporal this attempt is alive, so a worker that dies is noticed within the heartbeat timeout
    rather than the whole start-to-close timeout."""
    while True:
        activity.heartbeat()
        await asyncio.sleep(HEARTBEAT_EVERY)
