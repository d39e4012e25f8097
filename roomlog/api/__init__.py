"""The aggregate API under ``/api/v1/``: bearer tokens, JSON/CSV/XLSX, disclosure-controlled."""
