"""`aftercare demo` (`make demo`): a scripted day against the running system, each party through its own API
with its own key: a retailer bulk-registers sales, customers file claims, carriers move parcels, two centres
diagnose and repair, one quote is declined, one unit is replaced, one repair SLA is breached (the unit waits
for parts), one customer has not shipped yet, and surveys are answered.

The demo product's policy has timers of seconds (ship reminder, survey, repair SLA), so the day fits in
about half a minute. Each run uses new serials; the product and the centres are created once."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
from aftercare.portal.v1 import portal_pb2, portal_pb2_grpc
from aftercare.repairs.v1 import repairs_pb2 as rpb
from aftercare.warranty.v1 import warranty_pb2 as wpb
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from clients.parties import Parties, claim_request, new_id
from services.kit.timestamps import civil

SKU, CATEGORY, REGION = "DEMO-DAY-KETTLE", "small-appliance", "DE"
PRO_SKU = "DEMO-DAY-KETTLE-PRO"  # its claims wait for a person (approval policy MANUAL): docs/review.md
RETAILER, CARRIER, OPS = "retailer:demo-retailer", "carrier:local", "ops"
CENTRES = ("demo-centre", "other-centre")  # the dev keys have a principal for each
CHUNK = 50  # sales per BatchRegisterSales call: the progress bar moves once per answered chunk
TIMERS = {  # seconds
    "ship_reminder": 4,
    "shipment_deadline": 3600,
    "quote_reminder": 60,
    "quote_deadline": 600,
    "survey_delay": 2,
    "survey_window": 600,
    "repair_sla": 15,  # the repaired stories finish well within it on a loaded 2-core machine; one waits it out
}
# Who does what, in order. Scores are the customers' survey answers.
STORIES: tuple[tuple[str, int | None], ...] = (
    ("repaired", 10),
    ("repaired", 9),
    ("repaired", 9),
    ("repaired", 7),
    ("repaired", 4),
    ("quote declined", 3),
    ("replaced", 10),
    ("SLA breached", None),
    ("not shipped yet", None),
)


@dataclass
class Outcome:
    story: str
    rma: str = ""
    centre_id: str = ""
    state: str = ""
    resolution: str = ""
    sla_breached: bool = False
    score: int | None = None
    portal_link: str = ""  # the customer's page (a fresh capability link)


@dataclass
class Day:
    """What the demo did: for the summary, and for its test."""

    run: str
    sales: int = 0
    sales_seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    review: Outcome | None = None  # a claim held for review, whose customer ops asked for photos


def _state(claim: rpb.Claim) -> str:
    return rpb.ClaimState.Name(claim.state).removeprefix("CLAIM_STATE_")


def _resolution(claim: rpb.Claim) -> str:
    return rpb.Resolution.Name(claim.resolution).removeprefix("RESOLUTION_") if claim.resolution else ""


class DemoDay(Parties):
    """The parties of the demo's day (clients/parties.py), telling what each does on the console."""

    def __init__(self, warranty: grpc.aio.Channel, repairs: grpc.aio.Channel, keys: dict[str, str], say: Console):
        super().__init__(warranty, repairs, keys)
        self.say = say

    async def setup(self) -> None:
        """The demo product and its two centres; already there on a second run."""
        covered = (wpb.FAULT_CATEGORY_ELECTRICAL, wpb.FAULT_CATEGORY_MECHANICAL)
        await _once(
            self.create_product(
                SKU,
                category=CATEGORY,
                display_name="Demo Kettle",
                covered=covered,
                paid_repair_minor=4900,
                timers=TIMERS,
            )
        )
        manual = wpb.ApprovalPolicy(mode=wpb.APPROVAL_MODE_MANUAL)
        await _once(
            self.create_product(
                PRO_SKU, category=CATEGORY, display_name="Demo Kettle Pro", covered=covered, approval=manual
            )
        )
        for centre_id in CENTRES:
            await _once(self.create_centre(centre_id, region=REGION, category=CATEGORY, capacity=50))

    async def held_for_review(self, serial: str) -> Outcome:
        """A Pro kettle's claim waits for a person; ops ask its customer for photos (docs/review.md)."""
        await self.register_sale(
            serial, PRO_SKU, purchased_at=datetime.now(UTC) - timedelta(days=40), email="pro@example.com", locale="fr"
        )
        claim = await self.file_claim(
            claim_request(serial, request_id=f"demo-claim-{serial}", email="pro@example.com", region=REGION)
        )
        self.say.print(f"customer   filed {claim.rma} (a Pro kettle) → {_state(claim)}: a person decides")
        claim = await self.ask(claim.rma, rpb.INFORMATION_NEEDED_PHOTOS, request_id=f"demo-ask-{serial}")
        self.say.print(f"ops        asked the customer of {claim.rma} for photos of the fault → {_state(claim)}")
        return Outcome(story="asked for photos", rma=claim.rma, state=_state(claim))

    async def register(self, serials: list[str], progress: Progress | None) -> None:
        """The retailer's end-of-day upload, in chunks; one in ten units was bought 715 days ago (its
        warranty ends within 30 days: the expiry reminder's audience)."""
        task = progress.add_task("retailer registers sales", total=len(serials)) if progress else None
        now = datetime.now(UTC)
        for start in range(0, len(serials), CHUNK):
            chunk = serials[start : start + CHUNK]
            sales = [
                wpb.RegisterSaleRequest(
                    request_id=f"demo-sale-{serial}",
                    serial=serial,
                    sku=SKU,
                    purchase_time=civil(now - timedelta(days=715 if i % 10 == 9 else 30 + i % 200)),
                    sale_reference=f"POS-{serial[-6:]}",
                    contact=wpb.Contact(email=f"customer-{serial.lower()}@example.com", locale="en"),
                )
                for i, serial in enumerate(chunk, start)
            ]
            answer = await self.warranty.BatchRegisterSales(
                iter([wpb.BatchRegisterSalesRequest(sales=sales)]), metadata=self.as_(RETAILER)
            )
            if answer.failed_count:
                raise RuntimeError(f"{answer.failed_count} sales were refused, e.g. {answer.results[0].status.message}")
            if progress and task is not None:
                progress.advance(task, len(chunk))

    async def claim(self, serial: str, index: int) -> rpb.Claim:
        request = claim_request(
            serial,
            request_id=f"demo-claim-{serial}",
            email=f"customer-{serial.lower()}@example.com",
            locale="en",
            region=REGION,
            line=f"Demostr. {index + 1}",
            recipient=f"Customer {index + 1}",
            description="It no longer heats.",
        )
        claim = await self.file_claim(request)
        if claim.centre_id not in CENTRES:  # another centre (made by hand) fits too: ops move it to a demo centre
            claim = (
                await self.repairs.ReassignClaim(
                    rpb.ReassignClaimRequest(
                        request_id=new_id(), rma=claim.rma, centre_id=CENTRES[index % 2], reason="demo centres"
                    ),
                    metadata=self.as_(OPS),
                )
            ).claim
        return claim

    async def until(self, rma: str, reached: Callable[[rpb.Claim], bool], within: float = 60) -> rpb.Claim:
        """Wait for the workflow's own timers (survey, SLA) to act, polling the claim."""
        deadline = time.monotonic() + within
        while not reached(claim := await self.get(rma)):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{rma} did not get there in {within:.0f}s (it is {_state(claim)})")
            await asyncio.sleep(0.3)
        return claim


async def _once(call: Awaitable[object]) -> None:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        if error.code() != grpc.StatusCode.ALREADY_EXISTS:
            raise


def _surveyed(claim: rpb.Claim) -> bool:
    return any(e.kind == "SURVEY_SENT" for e in claim.timeline)


async def _story(p: DemoDay, serial: str, index: int, story: str, score: int | None) -> Outcome:
    to_centre, to_customer = rpb.DIRECTION_TO_CENTRE, rpb.DIRECTION_TO_CUSTOMER
    picked, moving, delivered = rpb.PARCEL_EVENT_PICKED_UP, rpb.PARCEL_EVENT_IN_TRANSIT, rpb.PARCEL_EVENT_DELIVERED
    await asyncio.sleep(index * 0.4)  # customers call in through the day, not all at once
    claim = await p.claim(serial, index)
    p.say.print(f"customer   filed {claim.rma} ({story}) → {_state(claim)}, centre {claim.centre_id}")
    if story == "not shipped yet":
        claim = await p.until(claim.rma, lambda c: any(e.kind == "SHIP_REMINDER" for e in c.timeline))
        p.say.print(f"workflow   reminded the customer of {claim.rma} to ship the unit")
        return _outcome(story, claim)
    claim = await p.move_parcel(claim, to_centre, picked, moving, delivered)
    p.say.print(f"carrier    delivered {claim.rma} to {claim.centre_id}")
    claim = await p.report(claim.rma, f"centre:{claim.centre_id}", rpb.REPAIR_STATUS_DIAGNOSING)
    if story == "quote declined":
        quote = rpb.Diagnosis(
            not_covered=rpb.Diagnosis.NotCovered(),
            notes="casing cracked by a fall",
            root_cause="ACCIDENTAL_DAMAGE/DROP",
        )
        quote.not_covered.quote.currency_code, quote.not_covered.quote.amount_minor = "EUR", 4900
        claim = await p.diagnose(claim.rma, f"centre:{claim.centre_id}", quote)
        p.say.print(f"centre     {claim.rma}: damage not covered, quoted EUR 49.00")
        request = rpb.DecideQuoteRequest(request_id=new_id(), rma=claim.rma, accept=False)
        claim = (await p.repairs.DecideQuote(request, metadata=p.as_(RETAILER))).claim
        p.say.print(f"customer   declined the quote for {claim.rma}: it goes back unrepaired")
    elif story == "replaced":
        replace = rpb.Diagnosis(
            unrepairable=rpb.Diagnosis.Unrepairable(
                remedy=rpb.Diagnosis.REMEDY_REPLACEMENT, replacement_serial=f"{serial}-R"
            ),
            notes="heating element fused to the base",
            root_cause="ELECTRICAL/HEATING_ELEMENT",
        )
        claim = await p.diagnose(claim.rma, f"centre:{claim.centre_id}", replace)
        p.say.print(f"centre     {claim.rma}: unrepairable, replaced by {serial}-R (the warranty moves to it)")
    else:
        fault = rpb.Diagnosis(
            covered_fault=rpb.Diagnosis.CoveredFault(parts=["HEATER-7"], labour_minutes=25),
            root_cause="ELECTRICAL/HEATING_ELEMENT",
        )
        claim = await p.diagnose(claim.rma, f"centre:{claim.centre_id}", fault)
        if story == "SLA breached":
            claim = await p.report(claim.rma, f"centre:{claim.centre_id}", rpb.REPAIR_STATUS_AWAITING_PARTS)
            p.say.print(f"centre     {claim.rma}: waiting for parts")
            claim = await p.until(claim.rma, lambda c: c.sla_breached)
            p.say.print(f"workflow   [red]{claim.rma}: repair SLA breached[/red], escalated to ops")
            return _outcome(story, claim)
        claim = await p.report(
            claim.rma, f"centre:{claim.centre_id}", rpb.REPAIR_STATUS_QUALITY_CHECK, rpb.REPAIR_STATUS_READY_TO_SHIP
        )
        p.say.print(f"centre     {claim.rma}: repaired and ready to ship")
    claim = await p.move_parcel(claim, to_customer, picked, moving, delivered)
    p.say.print(f"carrier    delivered {claim.rma} back to the customer")
    claim = await p.until(claim.rma, _surveyed)
    assert score is not None
    claim = await p.answer_survey(claim.rma, score)
    p.say.print(f"customer   answered the survey for {claim.rma}: {score}/10")
    return _outcome(story, claim, score)


def _outcome(story: str, claim: rpb.Claim, score: int | None = None) -> Outcome:
    return Outcome(
        story=story,
        rma=claim.rma,
        centre_id=claim.centre_id,
        state=_state(claim),
        resolution=_resolution(claim),
        sla_breached=claim.sla_breached,
        score=score,
    )


async def play(
    warranty_target: str,
    repairs_target: str,
    keys: dict[str, str],
    *,
    portal_target: str = "",
    sales: int = 300,
    console: Console | None = None,
    progress: bool = True,
) -> Day:
    say = console or Console(highlight=False)
    day = Day(run=secrets.token_hex(3).upper())
    serials = [f"DEMO-{day.run}-{i:05d}" for i in range(max(sales, len(STORIES)))]
    async with grpc.aio.insecure_channel(warranty_target) as w, grpc.aio.insecure_channel(repairs_target) as r:
        p = DemoDay(w, r, keys, say)
        await p.setup()
        started = time.monotonic()
        if progress:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
            with Progress(*columns, console=say) as bar:
                await p.register(serials, bar)
        else:
            await p.register(serials, None)
        day.sales, day.sales_seconds = len(serials), time.monotonic() - started
        say.print(f"retailer   registered {day.sales} sales in {day.sales_seconds:.1f}s")
        day.outcomes = list(
            await asyncio.gather(*(_story(p, serials[i], i, story, score) for i, (story, score) in enumerate(STORIES)))
        )
        day.review = await p.held_for_review(f"DEMO-{day.run}-PRO")
    if portal_target:
        await _portal_links(portal_target, keys["ops"], day.outcomes)
        await _portal_links(portal_target, keys["ops"], [day.review], page=portal_pb2.PAGE_INFO)
    return day


async def _portal_links(
    portal_target: str, ops_key: str, outcomes: list[Outcome], page: portal_pb2.Page.ValueType = portal_pb2.PAGE_CLAIM
) -> None:
    """A customer's link to each claim's portal page (made as ops: each is a fresh token, like a message's)."""
    async with grpc.aio.insecure_channel(portal_target) as channel:
        portal = portal_pb2_grpc.PortalServiceStub(channel)
        for outcome in outcomes:
            answer = await portal.CreateLink(
                portal_pb2.CreateLinkRequest(rma=outcome.rma, page=page),
                metadata=(("authorization", f"Bearer {ops_key}"),),
            )
            outcome.portal_link = answer.url


def _table(day: Day) -> Table:
    table = Table(title=f"Demo day {day.run}: {day.sales} sales, {len(day.outcomes)} claims", title_justify="left")
    for column in ("RMA", "story", "centre", "state", "resolution", "SLA", "survey"):
        table.add_column(column, no_wrap=True)
    for o in day.outcomes:
        table.add_row(
            o.rma,
            o.story,
            o.centre_id,
            o.state,
            o.resolution,
            "BREACHED" if o.sla_breached else "",
            "" if o.score is None else f"{o.score}/10",
        )
    return table


def _ui_links(ui_url: str, namespace: str, breached: Outcome | None) -> list[tuple[str, str]]:
    """Where to look in the Temporal UI: the breached claim first, if any, then the saved searches."""
    from cli.ops import ui_link
    from services.kit.settings import Settings
    from workflows import search_attributes as sa

    settings = Settings(temporal_ui_url=ui_url, temporal_namespace=namespace)
    links = [
        ("every claim", ui_link(settings, 'WorkflowType="ClaimWorkflow"')),
        ("waiting for parts", ui_link(settings, f'{sa.CLAIM_STATE.name}="AWAITING_PARTS"')),
        ("SLA breached", ui_link(settings, f"{sa.SLA_BREACHED.name}=true")),
        (f"at {CENTRES[0]}", ui_link(settings, f'{sa.SERVICE_CENTRE_ID.name}="{CENTRES[0]}"')),
        ("schedules", f"{ui_url}/namespaces/{namespace}/schedules"),
    ]
    if breached:
        links.insert(0, (f"{breached.rma}", f"{ui_url}/namespaces/{namespace}/workflows/claim-{breached.rma}"))
    return links


def summary(day: Day, ui_url: str, namespace: str, say: Console) -> None:
    """What happened, and where to look next."""
    from services.repairs.domain.report import nps

    say.print(_table(day))
    score = nps(o.score for o in day.outcomes if o.score is not None)
    say.print(f"NPS of today's answers: {score:+.0f}" if score is not None else "no survey answers")
    breached = next((o for o in day.outcomes if o.sla_breached), None)
    say.print("\n[bold]Open in the Temporal UI[/bold]")
    for label, link in _ui_links(ui_url, namespace, breached):
        say.print(f"  {label:<18} {link}", soft_wrap=True)
    if any(o.portal_link for o in day.outcomes):
        say.print("\n[bold]Open as the customer[/bold] (the portal; each e-mail in the mail sink has its own link)")
        for o in day.outcomes:
            say.print(f"  {o.rma:<16} {o.story:<16} {o.portal_link}", soft_wrap=True)
    if day.review is not None:
        r = day.review
        say.print(
            f"\n[bold]Waiting for a person[/bold] (a Pro kettle: its claims are reviewed)\n  {r.rma:<16} {r.story}"
        )
        if r.portal_link:
            say.print(f"  the customer answers at {r.portal_link}", soft_wrap=True)
    say.print(
        "\n[bold]Then ask the CLI[/bold]\n"
        "  .venv/bin/aftercare ops report\n"
        "  .venv/bin/aftercare ops review\n"
        "  .venv/bin/aftercare ops stuck --older-than 10s\n"
        "  .venv/bin/aftercare ops breaches\n"
        + (f"  .venv/bin/aftercare ops timeline {breached.rma}\n" if breached else "")
        + "  .venv/bin/aftercare sinks show mail",
        soft_wrap=True,
    )
