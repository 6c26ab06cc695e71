"""DNS rebinding (issue 13, item 13): the webhook host is resolved and checked once, and the delivery connects
to that checked address, naming the host in Host (and in SNI for https). A resolver that answers differently
the second time (here: another loopback address where nothing listens) cannot move the delivery."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aiohttp import web

from services.notifications.channels import WebhookChannel, pinned
from tests.conftest import free_port

HOST = "hooks.rebind.example"


def test_a_pinned_request_keeps_the_host_name_for_host_and_sni() -> None:
    url, headers, extensions = pinned("https://hooks.example.com:8443/in?x=1", "203.0.113.7")
    assert url == "https://203.0.113.7:8443/in?x=1"
    assert headers == {"host": "hooks.example.com:8443"} and extensions == {"sni_hostname": "hooks.example.com"}
    url, headers, extensions = pinned("http://hooks.example.com/in", "2001:db8::1")
    assert url == "http://[2001:db8::1]/in" and headers == {"host": "hooks.example.com"} and extensions == {}


async def test_a_second_dns_answer_cannot_redirect_the_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    async def receive(request: web.Request) -> web.Response:
        seen.append(request.headers["Host"])
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    answers = iter(["127.0.0.1", "127.0.0.2", "127.0.0.2", "127.0.0.2"])
    real = socket.getaddrinfo

    def rebinding(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == HOST:  # the first answer passes the check; later ones point elsewhere
            return real(next(answers), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    channel = WebhookChannel(timeout=5, allow_dev_targets=True)
    try:
        await channel.send("msg_1", f"http://{HOST}:{port}/hook", ["whsec_" + "A" * 44], b"{}")
    finally:
        await channel.close()
        await runner.cleanup()
    assert seen == [f"{HOST}:{port}"]
