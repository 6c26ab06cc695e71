"""The notifications service process: gRPC API on :50053 and the activity worker on task queue
"notifications"."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from aftercare.notifications.v1 import notifications_pb2, notifications_pb2_grpc

from contracts import queues
from services.kit.auth import KeyStore
from services.kit.db import Database
from services.kit.grpc_server import GrpcServer, ServiceBinding, wait_for_shutdown_signal
from services.kit.settings import Settings
from services.kit.temporal import LazyClient, connect, run_worker
from services.notifications import ERROR_DOMAIN
from services.notifications.activities import NotificationsActivities
from services.notifications.channels import EmailChannel, SmsChannel, WebhookChannel
from services.notifications.delivery import Dispatcher
from services.notifications.directory import GrpcDirectory
from services.notifications.persistence import MIGRATIONS
from services.notifications.persistence.repository import NotificationsRepository
from services.notifications.rendering import Renderer
from services.notifications.servicer import NotificationsServicer

log = logging.getLogger("aftercare.notifications")
SERVICE_NAME = notifications_pb2.DESCRIPTOR.services_by_name["NotificationsService"].full_name


class NotificationsApp:
    """Everything the API and the activity need, started and stopped in order. Tests use it with free ports."""

    def __init__(self, settings: Settings):
        self.settings = s = settings
        self.db = Database(s.database_url)
        self.repo = NotificationsRepository(self.db)
        self.directory = GrpcDirectory(s.repairs_target, s.warranty_target, s.own_service_key())
        timeout = s.provider_timeout_seconds
        self.sms = SmsChannel(s.sms_url, timeout=timeout, token=s.sms_token)
        self.webhooks = WebhookChannel(timeout=timeout, allow_dev_targets=s.webhook_dev_targets)
        self.dispatcher = Dispatcher(
            self.repo,
            self.directory,
            Renderer(s.portal_url),
            EmailChannel(
                s.smtp_host,
                s.smtp_port,
                s.smtp_sender,
                timeout=timeout,
                username=s.smtp_username,
                password=s.smtp_password,
            ),
            self.sms,
            self.webhooks,
            ops_email=s.ops_email,
            lease=timedelta(seconds=timeout + 5),
        )
        self.activities = NotificationsActivities(self.dispatcher)
        self.servicer = NotificationsServicer(
            self.repo, self.directory, LazyClient(lambda: connect(s)), allow_dev_targets=s.webhook_dev_targets
        )
        keys = KeyStore.from_config(s.api_keys, s.api_keys_file)
        binding = ServiceBinding(
            SERVICE_NAME, notifications_pb2_grpc.add_NotificationsServiceServicer_to_server, self.servicer
        )
        self.grpc = GrpcServer(s, keys, [binding], ERROR_DOMAIN)

    async def start(self) -> int:
        await self.db.migrate(MIGRATIONS, "notifications")
        port = await self.grpc.start()
        log.info("notifications ready", extra={"grpc": f"{self.settings.grpc_host}:{port}"})
        return port

    async def stop(self) -> None:
        await self.grpc.stop()
        await self.directory.close()
        await self.sms.close()
        await self.webhooks.close()
        await self.db.dispose()


async def serve(settings: Settings) -> None:
    app = NotificationsApp(settings)
    await app.start()
    worker = None
    if settings.run_worker:
        worker = asyncio.create_task(run_worker(settings, queues.NOTIFICATIONS, activities=app.activities.all()))
    await wait_for_shutdown_signal()
    log.info("notifications stopping")
    if worker is not None:
        worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker
    await app.stop()
    log.info("notifications stopped")
