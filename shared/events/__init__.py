"""Event and request contracts, one module per topic, each a discriminated union on `type`."""
