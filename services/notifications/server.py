"""The notifications service: gRPC API on :50053 and the activity worker on task queue "notifications"
(wiring only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from aftercare.notifications.v1 import notifications_pb2, notifications_pb2_grpc

from contracts import queues
from services.kit import tracing
from services.kit.grpc_server import aio_channel
from services.kit.service import ServiceApp
from services.kit.temporal import LazyClient, connect
from services.notifications import ERROR_DOMAIN
from services.notifications.activities import NotificationsActivities
from services.notifications.channels import EmailChannel, SmsChannel, WebhookChannel
from services.notifications.delivery import Dispatcher
from services.notifications.directory import GrpcDirectory
from services.notifications.links import GrpcLinks
from services.notifications.persistence import MIGRATIONS
from services.notifications.persistence.repository import NotificationsRepository
from services.notifications.rendering import Renderer
from services.notifications.servicer import NotificationsServicer
from services.notifications.settings import NotificationsSettings


class NotificationsApp(ServiceApp):
    name = "notifications"
    task_queue = queues.NOTIFICATIONS
    error_domain = ERROR_DOMAIN
    migrations = MIGRATIONS
    settings_type = NotificationsSettings

    def __init__(self, settings: NotificationsSettings):
        super().__init__(settings)
        s = self.settings = settings
        self.repo = NotificationsRepository(self.db)
        traced = {"interceptors": tracing.client_interceptors()}
        self.directory = GrpcDirectory(
            aio_channel(s.repairs_target, s, **traced), aio_channel(s.warranty_target, s, **traced), s.own_service_key()
        )
        self.links = GrpcLinks(aio_channel(s.portal_target, s, **traced), s.own_service_key())
        timeout = s.provider_timeout_seconds
        self.sms = SmsChannel(s.sms_url, timeout=timeout, token=s.sms_token.get_secret_value())
        self.webhooks = WebhookChannel(timeout=timeout, allow_dev_targets=s.webhook_dev_targets)
        email = EmailChannel(
            s.smtp_host,
            s.smtp_port,
            s.smtp_sender,
            timeout=timeout,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value(),
        )
        self.dispatcher = Dispatcher(
            self.repo,
            self.directory,
            Renderer(s.temporal_ui_url),
            self.links,
            email,
            self.sms,
            self.webhooks,
            ops_email=s.ops_email,
            lease=timedelta(seconds=timeout + 5),
        )
        self.notifications_activities = NotificationsActivities(self.dispatcher)
        self.servicer = NotificationsServicer(
            self.repo,
            self.directory,
            LazyClient(lambda: connect(s)),
            allow_dev_targets=s.webhook_dev_targets,
            deliver_now=self.dispatcher.deliver,
        )
        service = notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name
        self.serve_api(service, notifications_pb2_grpc.add_NotificationsServiceServicer_to_server, self.servicer)

    async def on_stop(self) -> None:
        await self.directory.close()
        await self.links.close()
        await self.sms.close()
        await self.webhooks.close()

    def activities(self) -> Sequence[Callable[..., Any]]:
        return self.notifications_activities.all()
