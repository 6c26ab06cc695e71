"""What runs beside Aftercare on a developer's machine and in tests, never in production: the dev API keys and
the mail, SMS and webhook sinks that stand in for the providers."""
