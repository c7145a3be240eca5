"""BrainIO plugin for files on disk."""
