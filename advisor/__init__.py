"""The advisor: task vocabulary, device profiles, ranking, and the CLI / TUI / report views."""
