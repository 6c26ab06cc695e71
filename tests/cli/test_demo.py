"""`aftercare demo` plays its day against the real system, and each story ends where the script says."""

from __future__ import annotations

import io

import httpx
from aftercare.repairs.v1 import repairs_pb2 as pb
from rich.console import Console

from cli.demo import STORIES, play, summary
from tests.stack import Stack


async def test_the_demo_day_ends_as_scripted_and_points_at_the_ui(stack: Stack) -> None:
    await stack.centre("demo-centre")  # as after an earlier run: the demo's setup finds it there
    out = io.StringIO()
    console = Console(file=out, width=200, highlight=False)
    day = await play(
        stack.targets["warranty"],
        stack.targets["repairs"],
        stack.keys,
        portal_target=stack.targets["portal"],
        sales=60,
        console=console,
        progress=False,
    )

    assert day.sales == 60 and len(day.outcomes) == len(STORIES)
    ends = {(o.story, o.state, o.resolution, o.sla_breached) for o in day.outcomes}
    assert ends == {
        ("repaired", "CLOSED", "REPAIRED", False),
        ("quote declined", "CLOSED", "RETURNED_UNREPAIRED", False),
        ("replaced", "CLOSED", "REPLACED", False),
        ("SLA breached", "AWAITING_PARTS", "", True),
        ("not shipped yet", "AWAITING_SHIPMENT", "", False),
    }
    assert {o.centre_id for o in day.outcomes} == {"demo-centre", "other-centre"}  # two centres did the work
    assert sorted(o.score for o in day.outcomes if o.score is not None) == [3, 4, 7, 9, 9, 10, 10]
    # The system agrees: every claim as the outcome says, and the replacement moved the warranty.
    for o in day.outcomes:
        claim = await stack.get(o.rma)
        assert pb.ClaimState.Name(claim.state) == f"CLAIM_STATE_{o.state}"
    assert day.review is not None and day.review.state == "AWAITING_CUSTOMER_INFO"  # held, and a photo asked for
    held = await stack.get(day.review.rma)
    assert list(held.review.requested) == [pb.INFORMATION_NEEDED_PHOTOS]
    assert day.review.portal_link.startswith(stack.portal_url)
    replaced = next(o for o in day.outcomes if o.story == "replaced")
    assert any(e.kind == "WARRANTY_MOVED" for e in (await stack.get(replaced.rma)).timeline)
    # Each customer who answered had been asked, by e-mail, once.
    surveyed = sorted(m.subject for m in stack.mail.messages if m.subject.startswith("How did we do?"))
    assert surveyed == sorted(f"How did we do? (claim {o.rma})" for o in day.outcomes if o.score is not None)

    summary(day, "http://localhost:8233", "default", console)
    text = out.getvalue()
    breached = next(o for o in day.outcomes if o.sla_breached)
    assert f"http://localhost:8233/namespaces/default/workflows/claim-{breached.rma}" in text
    assert "workflows?query=SlaBreached%3Dtrue" in text and "query=ClaimState%3D%22AWAITING_PARTS%22" in text
    assert "NPS of today's answers: +29" in text  # 4 promoters, 2 detractors, 1 passive of 7
    assert "Open as the customer" in text
    for o in day.outcomes:  # each claim's own link, naming no RMA, and each opens that claim's page
        assert o.portal_link.startswith(f"{stack.portal_url}/l/") and o.rma not in o.portal_link
        assert o.portal_link in text
    async with httpx.AsyncClient(base_url=stack.portal_url) as web:
        opened = await web.get(day.outcomes[0].portal_link.removeprefix(stack.portal_url), follow_redirects=True)
        assert opened.status_code == 200 and day.outcomes[0].rma in opened.text
