"""The four services; each imports only `shared`, never another service."""
