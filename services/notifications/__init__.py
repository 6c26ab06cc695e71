"""The notifications service: e-mail, SMS and signed webhooks about claims and warranties, each exactly once
(gRPC :50053, task queue "notifications")."""

ERROR_DOMAIN = "notifications.aftercare"
