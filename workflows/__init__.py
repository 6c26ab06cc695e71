"""Workflows (the claims worker, task queue "claims")."""

TASK_QUEUE = "claims"
