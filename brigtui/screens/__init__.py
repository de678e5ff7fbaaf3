"""Textual screens of the app: the dashboard, job detail, dialogs, help."""
