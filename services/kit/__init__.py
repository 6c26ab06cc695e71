"""The shared service kit: one place for what every Aftercare service needs (settings, logs, errors,
authentication, the gRPC server bootstrap, the database, idempotency, pagination, the Temporal client)."""
