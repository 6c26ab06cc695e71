"""The portal: its web server (HTTP :8080) and its gRPC API (:50054) over its own database (wiring only)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from aftercare.portal.v1 import portal_pb2, portal_pb2_grpc

from services.kit import tracing
from services.kit.grpc_server import aio_channel
from services.kit.service import ServiceApp
from services.portal import ERROR_DOMAIN, payments
from services.portal.access import Access
from services.portal.backends import Backends
from services.portal.persistence import MIGRATIONS
from services.portal.persistence.repository import PortalRepository
from services.portal.servicer import PortalServicer
from services.portal.settings import PortalSettings
from services.portal.web.app import PortalWeb


class _Server(uvicorn.Server):
    """Uvicorn without its own signal handling: the service loop (kit/service.py) owns SIGINT and SIGTERM and
    stops the web server in order with the rest."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class PortalApp(ServiceApp):
    name = "portal"
    task_queue = ""  # no activities: the portal only calls services
    error_domain = ERROR_DOMAIN
    migrations = MIGRATIONS
    settings_type = PortalSettings
    settings: PortalSettings

    def __init__(self, settings: PortalSettings):
        super().__init__(settings)
        s = self.settings = settings
        self.repo = PortalRepository(self.db)
        traced = {"interceptors": tracing.client_interceptors()}
        self.backends = Backends(
            aio_channel(s.repairs_target, s, **traced),
            aio_channel(s.warranty_target, s, **traced),
            aio_channel(s.notifications_target, s, **traced),
            s.own_portal_key(),
        )
        self.access = Access(
            self.repo,
            self.backends,
            public_url=s.public_url,
            link_ttl=timedelta(days=s.link_days),
            grace=timedelta(days=s.closed_grace_days),
            session_ttl=timedelta(minutes=s.session_minutes),
        )
        self.web = PortalWeb(
            self.access,
            self.backends,
            secure_cookies=s.secure_cookies,
            max_form_bytes=s.max_form_bytes,
            payments=payments.provider(s.payment_provider),
        )
        self.http_port = 0
        self._http: _Server | None = None
        self._http_task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None
        service = portal_pb2.DESCRIPTOR.services_by_name["PortalService"].full_name
        self.serve_api(service, portal_pb2_grpc.add_PortalServiceServicer_to_server, PortalServicer(self.access))

    async def on_start(self) -> None:
        s = self.settings
        # proto IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say they are TCP,
        # and without it every response written in two parts waited 40 ms for a delayed ACK.
        family = socket.AF_INET6 if ":" in s.http_host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket = sock
        sock.bind((s.http_host, s.http_port))
        self.http_port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.web.app(),
            log_config=None,
            access_log=False,
            proxy_headers=s.trust_forwarded_for,
            forwarded_allow_ips="*" if s.trust_forwarded_for else None,  # the ingress's address is not known here
            server_header=False,
            lifespan="off",
            timeout_graceful_shutdown=max(1, int(s.grpc_shutdown_grace_seconds)),
        )
        # Uvicorn's access log would print each path, and a link's path is its token: it stays off whatever
        # the logging setup (the web app logs each request by its route's pattern instead).
        access = logging.getLogger("uvicorn.access")
        access.handlers, access.propagate, access.disabled = [], False, True
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)  # its start-up lines carry terminal colours
        self._http = _Server(config)
        self._http_task = asyncio.create_task(self._http.serve(sockets=[sock]))
        while not self._http.started:
            if self._http_task.done():
                await self._http_task  # raises what stopped it
                raise RuntimeError("the portal's web server stopped while starting")
            await asyncio.sleep(0.01)
        self.log.info("portal web ready", extra={"http": f"{s.http_host}:{self.http_port}"})

    async def on_stop(self) -> None:
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._http_task
        if self._socket is not None:  # ours to close, also when the web server never took it
            self._socket.close()
        await self.backends.close()

    def background(self) -> Sequence[Coroutine[Any, Any, None]]:
        return [*super().background(), self._purge_daily()]

    async def _purge_daily(self) -> None:
        """Forget codes and sessions a day after they ended."""
        while True:
            await self.repo.purge(datetime.now(UTC) - timedelta(days=1))
            await asyncio.sleep(86400)
