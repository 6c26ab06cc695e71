"""A delivery's signature verifies with the reference library, PyPI's `standardwebhooks`, not only with our
own verifier: before and after a rotation, and not with a wrong secret (issue 13)."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.notifications.domain.webhooks import new_secret, signed_headers

BODY = json.dumps({"type": "claim.state_changed", "data": {"rma": "RMA-7KQM-X3TD"}}).encode()


def test_the_reference_library_verifies_our_signature() -> None:
    secret = new_secret()
    headers = signed_headers([secret], "msg_1", int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, headers) == json.loads(BODY)


def test_during_a_rotation_both_secrets_verify_with_the_reference_library() -> None:
    old, new = new_secret(), new_secret()
    headers = signed_headers([new, old], "msg_2", int(time.time()), BODY)
    assert Webhook(old).verify(BODY, headers) == Webhook(new).verify(BODY, headers) == json.loads(BODY)


def test_the_reference_library_refuses_a_wrong_secret_or_a_changed_body() -> None:
    headers = signed_headers([new_secret()], "msg_3", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)
    secret = new_secret()
    headers = signed_headers([secret], "msg_4", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
