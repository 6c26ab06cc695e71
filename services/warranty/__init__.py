"""The warranty service: products and policies, sales and warranties, entitlement."""

ERROR_DOMAIN = "warranty.aftercare"
