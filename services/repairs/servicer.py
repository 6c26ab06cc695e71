"""The repairs gRPC API: authenticate, validate, turn actions into workflow updates, answer from the repairs
database. Since the write-behind an update hands back its changes and the API writes them before it answers,
so a caller reads its own write (docs/repairs.md). Errors are raised as domain errors; the server's
interceptor turns them into statuses.

One part per concept, each a module of `api/`: claim reads, filing, the actions on a claim, review,
attachments and centres; who sees what of a claim is `access.py`."""

from __future__ import annotations

from services.repairs.api.actions import ClaimActions
from services.repairs.api.attachments import AttachmentsApi
from services.repairs.api.centres import CentresApi
from services.repairs.api.filing import Filing
from services.repairs.api.reads import ClaimReads
from services.repairs.api.review import ReviewApi


class RepairsServicer(ClaimReads, Filing, ClaimActions, ReviewApi, AttachmentsApi, CentresApi):
    """The whole repairs API (repairs.proto's RepairsService)."""
