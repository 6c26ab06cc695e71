"""The customer portal: the web pages every customer message links to (HTTP :8080), and a small gRPC API
(:50054) through which the notifications service asks for those links. Its database holds only link tokens,
one-time codes and sessions, all hashed; claims and warranties stay with their services."""

ERROR_DOMAIN = "portal.aftercare"
