"""The terminal UI (Textual): it sees hardware only through snapshots, never through backends."""
