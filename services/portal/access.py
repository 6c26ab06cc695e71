"""Links, sessions and codes at work: making a link for a message, opening one, and finding the grant behind a
browser's session. The rules are in domain/links.py; this joins them to the database and the services."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aftercare.repairs.v1 import repairs_pb2 as rpb
from sqlmodel.ext.asyncio.session import AsyncSession

from lifecycle.transitions import TERMINAL
from services.kit.grants import Grant, Subject
from services.kit.validation import canonical_locale
from services.portal.backends import Backends, Denied
from services.portal.domain import links
from services.portal.domain.links import Dead, LinkFacts, Page
from services.portal.persistence.repository import PortalRepository
from services.portal.persistence.tables import CodeRow, LinkRow, SessionRow

log = logging.getLogger("aftercare.portal")
Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Visit:
    """A signed-in browser: what it may see, in which language and zone."""

    grant: Grant
    csrf: str
    time_zone: str


@dataclass(frozen=True)
class Opened:
    session_id: str  # the cookie's value (only its hash is stored)
    page: Page
    locale: str


class Access:
    def __init__(
        self,
        repo: PortalRepository,
        backends: Backends,
        *,
        public_url: str,
        link_ttl: timedelta,
        grace: timedelta,
        session_ttl: timedelta,
        clock: Clock = _utcnow,
    ):
        self.repo, self.backends = repo, backends
        self.public_url = public_url.rstrip("/")
        self.link_ttl, self.grace, self.session_ttl = link_ttl, grace, session_ttl
        self.clock = clock

    def _grant(self, subject: Subject, ref: str, customer_id: str = "") -> Grant:
        return links.grant(subject, ref, self.clock() + self.session_ttl, customer_id)

    async def _facts(self, subject: Subject, ref: str) -> tuple[str, datetime | None]:
        """The subject's owner today and, for a claim that is over, when it ended. Raises Denied."""
        grant = self._grant(subject, ref)
        if subject is Subject.CLAIM:
            claim = await self.backends.claim(grant)
            state = rpb.ClaimState.Name(claim.state).removeprefix("CLAIM_STATE_")
            ended = claim.update_time.ToDatetime(UTC) if state in TERMINAL else None
            return claim.customer_id, ended
        warranty = await self.backends.warranty(grant)
        return warranty.customer_id, None

    async def create_link(
        self, subject: Subject, ref: str, page: Page | None, locale: str, zone: str
    ) -> tuple[str, str, datetime]:
        """A fresh link to the subject (which must exist: Denied otherwise): its URL, the same token's one-click
        unsubscribe URL, and its expiry."""
        owner, _ = await self._facts(subject, ref)
        now = self.clock()
        token = links.new_token()
        try:
            locale = canonical_locale(locale) if locale else "en"
        except ValueError:
            locale = "en"
        row = LinkRow(
            token_hash=links.token_hash(token),
            subject=subject.value,
            ref=ref,
            customer_id=owner,
            page=links.landing(subject, page).value,
            locale=locale[:8],
            time_zone=zone[:64],
            created_at=now,
            expires_at=now + self.link_ttl,
        )
        await self.repo.add_link(row)
        return f"{self.public_url}/l/{token}", f"{self.public_url}/u/{token}", row.expires_at

    async def revoke(self, session: AsyncSession, subject: Subject, ref: str) -> int:
        return await self.repo.revoke(session, subject.value, ref, self.clock())

    async def live_link(self, token: str) -> tuple[LinkRow, str] | None:
        """The link behind a token and its subject's owner today, or None when it does not work (whatever the
        reason; a link whose claim ended or whose unit changed hands is revoked on the way)."""
        row = await self.repo.link(links.token_hash(token)) if links.looks_like_token(token) else None
        now = self.clock()
        if row is None:
            return None
        facts = LinkFacts(row.expires_at, row.revoked_at is not None, row.customer_id)
        subject = Subject(row.subject)
        try:
            owner, ended = await self._facts(subject, row.ref) if not facts.revoked else ("", None)
        except Denied:
            owner, ended = "", None
            facts = LinkFacts(row.expires_at, True, row.customer_id)
        dead = links.why_dead(facts, now, owner_now=owner, ended_at=ended, grace=self.grace)
        if dead is not None:
            if dead in (Dead.CLOSED, Dead.NEW_OWNER) and row.id is not None:
                await self.repo.revoke_link(row.id, now)
            log.info("link refused", extra={"why": dead.value, "link": row.id})
            return None
        return row, owner

    def grant_of(self, row: LinkRow, owner: str) -> Grant:
        return links.grant(Subject(row.subject), row.ref, min(self.clock() + self.session_ttl, row.expires_at), owner)

    async def open_link(self, token: str) -> Opened | None:
        """Start a session from a link, or None when the link does not work (whatever the reason)."""
        live = await self.live_link(token)
        if live is None:
            return None
        row, owner = live
        session_id = await self._new_session(Subject(row.subject), row.ref, owner, link=row)
        log.info("link opened", extra={"link": row.id})
        return Opened(session_id, Page(row.page), row.locale)

    # -- one-time codes -----------------------------------------------------------------------------------

    async def _owner(self, subject: Subject, typed: str, contact: str) -> tuple[str, str] | None:
        """(the canonical reference, its owner) when `contact` is on file for it; None otherwise."""
        if subject is Subject.CLAIM:
            claim = await self.backends.verify_contact(typed, contact)
            return (claim.rma, claim.customer_id) if claim.matches else None
        warranty = await self.backends.verify_owner(typed, contact)
        return (warranty.serial, warranty.customer_id) if warranty.matches else None

    async def request_code(self, reference: str, contact: str, client: str, locale: str) -> str | None:
        """Send a one-time code to the contact on file for a claim (an RMA) or a warranty (a serial) if
        `contact` is that one; the code's id either way (what follows looks the same whether the reference is
        unknown or the contact wrong). None when the hourly limits for this reference or this client are
        reached. Raises Down when the code could not be sent."""
        now = self.clock()
        typed = reference.strip().upper()[:64]
        subject = links.subject_of(typed)
        client_hash = hashlib.sha256(client.encode()).hexdigest()
        hour_ago = now - timedelta(hours=1)
        per_subject = await self.repo.codes_since(hour_ago, subject=subject.value, ref=typed)
        per_client = await self.repo.codes_since(hour_ago, client_hash=client_hash)
        if not links.may_send_code(per_subject, per_client):
            log.info("code refused: hourly limit")
            return None
        found = await self._owner(subject, typed, contact)
        code_id, salt = secrets.token_urlsafe(16), secrets.token_hex(16)
        code_hash, customer, ref = "", "", typed
        if found is not None:
            ref, customer = found
            code = links.new_code()
            grant = links.grant(subject, ref, now + timedelta(minutes=1))
            await self.backends.send_code(grant, code, request_id=code_id)
            code_hash = links.code_hash(code, salt)
        await self.repo.add_code(
            CodeRow(
                id=code_id,
                subject=subject.value,
                ref=ref,  # canonical when it matched: what the session is for
                customer_id=customer,
                code_hash=code_hash,
                salt=salt,
                client_hash=client_hash,
                locale=locale[:8],
                created_at=now,
                expires_at=now + links.CODE_LIFETIME,
            )
        )
        log.info("code asked for", extra={"sent": found is not None, "subject": subject.value})
        return code_id

    async def redeem(self, code_id: str, typed: str) -> tuple[str, Subject] | None:
        """A session (and what it is for) for the right code, typed in time and within its tries, once; None
        otherwise."""
        now = self.clock()
        row = await self.repo.code(code_id) if 0 < len(code_id) <= 32 else None
        if row is None or not await self.repo.take_try(code_id, links.CODE_TRIES, now):
            return None
        code = links.normal_code(typed)
        if not row.code_hash or code is None:
            return None
        if not hmac.compare_digest(links.code_hash(code, row.salt), row.code_hash):
            return None
        if not await self.repo.use_code(code_id, now):
            return None  # replayed
        subject = Subject(row.subject)
        return await self.start_session(subject, row.ref, row.customer_id), subject

    async def start_session(self, subject: Subject, ref: str, customer_id: str) -> str:
        """A session for a customer who proved their contact with a one-time code."""
        return await self._new_session(subject, ref, customer_id)

    async def _new_session(self, subject: Subject, ref: str, customer_id: str, *, link: LinkRow | None = None) -> str:
        """The one way a session starts: its id (the cookie's value; only its hash is stored), a fresh CSRF token,
        and an expiry within the session's lifetime (and, from a link, within the link's and in its zone)."""
        now = self.clock()
        session_id = secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        await self.repo.add_session(
            SessionRow(
                sid_hash=links.token_hash(session_id),
                csrf=secrets.token_urlsafe(32),
                subject=subject.value,
                ref=ref,
                customer_id=customer_id,
                link_id=link.id if link else None,
                time_zone=link.time_zone if link else "",
                created_at=now,
                expires_at=min(expires, link.expires_at) if link else expires,
            )
        )
        return session_id

    async def visit(self, session_id: str) -> Visit | None:
        if not session_id or len(session_id) > 64:
            return None
        row = await self.repo.session(links.token_hash(session_id), self.clock())
        if row is None:
            return None
        grant = links.grant(Subject(row.subject), row.ref, row.expires_at, row.customer_id)
        return Visit(grant, row.csrf, row.time_zone)

    async def sign_out(self, session_id: str) -> None:
        await self.repo.end_session(links.token_hash(session_id), self.clock())
