"""Helpers of the container executor: the client, its `run` command, failures, and clean-up.

Everything here drives the podman or docker command-line client; the two take the same
flags for what brigtui uses.
"""
