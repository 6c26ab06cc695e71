"""The claim's lifecycle, in one room beside `contracts/`: pure rules that the claims workflow and the services
both follow (docs/architecture.md).

- `transitions`: the one transition table, what a centre reports, a diagnosis's event, a parcel's move;
- `sla`: the repair SLA's clock;
- `deadlines`: the timers, deadlines and windows a claim waits in, from the product's policy;
- `review`: why a claim waits for a person, the rejection reasons, how flagged claims ended;
- `notices`: what each change tells the customer, ops and the retailer.

Imports only `contracts/` and itself: no I/O, no clock, no Temporal."""
