"""The repairs gRPC API, one module per concept; `services/repairs/servicer.py` puts them together."""
