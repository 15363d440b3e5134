"""One resource class per API; ``client.runtime`` and the others import them on first use."""
