"""The Textual TUI (the only place that imports textual)."""
