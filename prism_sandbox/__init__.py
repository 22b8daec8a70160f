"""An embedded, API-faithful Prism API, mounted at /sandbox/ (see docs/sandbox.md)."""
