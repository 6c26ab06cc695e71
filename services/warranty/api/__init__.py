"""The warranty gRPC API, one module per concept; `services/warranty/servicer.py` puts them together."""
