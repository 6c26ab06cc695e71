"""The repairs service: claims, RMAs, service centres and shipping labels (gRPC :50052, task queue "repairs")."""

ERROR_DOMAIN = "repairs.aftercare"
