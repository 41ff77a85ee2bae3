"""Exported comparison reports: HTML, Markdown, CSV, JSON."""
