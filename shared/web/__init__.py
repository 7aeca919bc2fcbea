"""HTTP: API keys, access checks, error answers, the request body's limit."""
