"""An embedded, API-faithful Prism API, mounted at /sandbox/ (see API_CONTRACT.md)."""
