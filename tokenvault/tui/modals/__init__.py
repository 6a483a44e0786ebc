"""modals of the TUI."""
