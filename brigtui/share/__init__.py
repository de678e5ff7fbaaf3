"""Shared volumes of builds, pipes between jobs, and the share inspector."""
