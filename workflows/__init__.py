"""Workflows: the claims worker hosts them all on task queue `contracts.queues.CLAIMS`. Only the claims worker
imports this package; services start, update and query workflows by name (`contracts/`)."""
