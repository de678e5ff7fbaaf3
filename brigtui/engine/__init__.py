"""The engine: scripts, builds, executors and the store. It never imports Textual."""
