"""The warranty gRPC API: authenticate, validate, call the domain and the repository, map the answer.
Errors are raised as domain errors; the server's interceptor turns them into statuses.

One part per concept, each a module of `api/`: products, sales, warranties, figures."""

from __future__ import annotations

from services.warranty.api.figures import FiguresApi
from services.warranty.api.products import ProductsApi
from services.warranty.api.sales import SalesApi
from services.warranty.api.warranties import WarrantiesApi


class WarrantyServicer(ProductsApi, SalesApi, WarrantiesApi, FiguresApi):
    """The whole warranty API (warranty.proto's WarrantyService)."""
