"""The warranty service: products and policies, sales and warranties, entitlement."""

TASK_QUEUE = "warranty"
ERROR_DOMAIN = "warranty.aftercare"
