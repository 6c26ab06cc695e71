"""The agreements between processes, in one floor that both sides import (docs/architecture.md).

Task queues, activity names and their payloads, the workflows' names, ids, update and query names, their
input and status models, and the refusal types a workflow answers with. Pure: pydantic models and names,
no I/O; safe to import from workflow code. A model's module may move, but never its wire shape: running
claims depend on the JSON these models make."""
