"""Textual widgets of the app: job graph, log view, build list, status line."""
