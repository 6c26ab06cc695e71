"""The opening every mutating RPC shares: who calls, whether their role may make this call, and the request id
checked (AIP-155). The handler adds its own checks to the same violations and raises them all at once."""

from __future__ import annotations

from services.kit.auth import Principal, Role, current_principal
from services.kit.errors import Violations
from services.kit.idempotency import check_request_id


def opening(request_id: str, *roles: Role, field: str = "request_id") -> tuple[Principal, Violations]:
    """The caller, who must hold one of `roles` (PERMISSION_DENIED otherwise), and the violations so far: the
    request id's, when it is not one."""
    principal = current_principal()
    principal.require(*roles)
    v = Violations()
    check_request_id(v, request_id, field)
    return principal, v
