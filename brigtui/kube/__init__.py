"""Kubernetes support for the kubernetes executor: connection, manifests, pod watch, logs, gc.

Only the kubernetes executor and `brigtui gc` import this package, so the `kubernetes` client
is loaded only when a build or a clean-up needs a cluster.
"""
