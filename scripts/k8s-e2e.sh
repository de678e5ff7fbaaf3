#!/usr/bin/env bash
# Run the kubernetes executor's end-to-end test against a real cluster.
#
# Usage: scripts/k8s-e2e.sh [PYTEST ARGS...]
#   With BRIGTUI_E2E_CONTEXT set, the test uses that kubeconfig context as it is.
#   Without it, the script creates (or reuses) a kind cluster named $KIND_CLUSTER
#   (default brigtui-e2e) and uses its context, kind-$KIND_CLUSTER.
# Environment:
#   BRIGTUI_E2E_NAMESPACE      namespace for the builds (default brigtui-e2e; created if missing)
#   BRIGTUI_E2E_STORAGE_CLASS  storage class of the build's claim (default: the cluster's default)
#   BRIGTUI_E2E_ACCESS_MODE    ReadWriteMany or ReadWriteOnce (kind's default class needs
#                              ReadWriteOnce, which the script picks for a kind cluster)
#   KIND_DELETE=1              delete the kind cluster afterwards
set -euo pipefail
cd "$(dirname "$0")/.."

created_kind=""
if [ -z "${BRIGTUI_E2E_CONTEXT:-}" ]; then
    if ! command -v kind >/dev/null; then
        echo "error: kind is not installed and BRIGTUI_E2E_CONTEXT is not set; install kind" \
             "(https://kind.sigs.k8s.io) or point BRIGTUI_E2E_CONTEXT at a cluster" >&2
        exit 2
    fi
    cluster=${KIND_CLUSTER:-brigtui-e2e}
    if ! kind get clusters 2>/dev/null | grep -qx "$cluster"; then
        kind create cluster --name "$cluster" --wait 180s
        created_kind=$cluster
    fi
    export BRIGTUI_E2E_CONTEXT="kind-$cluster"
    export BRIGTUI_E2E_ACCESS_MODE=${BRIGTUI_E2E_ACCESS_MODE:-ReadWriteOnce}
fi
export BRIGTUI_E2E_NAMESPACE=${BRIGTUI_E2E_NAMESPACE:-brigtui-e2e}

if ! command -v kubectl >/dev/null; then
    echo "error: kubectl is not installed; it is needed to create the test namespace" >&2
    exit 2
fi
kubectl --context "$BRIGTUI_E2E_CONTEXT" get namespace "$BRIGTUI_E2E_NAMESPACE" >/dev/null 2>&1 \
    || kubectl --context "$BRIGTUI_E2E_CONTEXT" create namespace "$BRIGTUI_E2E_NAMESPACE"

status=0
.venv/bin/pytest -m realcluster tests/kube/test_realcluster.py -v "$@" || status=$?

if [ "${KIND_DELETE:-}" = 1 ] && [ -n "${cluster:-}" ]; then
    kind delete cluster --name "$cluster"
elif [ -n "$created_kind" ]; then
    echo "note: kind cluster $created_kind is kept for reruns; KIND_DELETE=1 removes it" >&2
fi
exit "$status"
