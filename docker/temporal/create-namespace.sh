#!/bin/sh
# Waits until the Temporal server answers its health check, then creates the namespace the worker
# uses (the deprecated auto-setup image did this; admin-tools does not). Runs once per `docker compose up`; an existing
# namespace is left as it is.
set -eu
namespace="${DEFAULT_NAMESPACE:-default}"
address="${TEMPORAL_ADDRESS:?set TEMPORAL_ADDRESS to host:port of the frontend}"

attempt=0
until temporal operator cluster health --address "$address"; do
  attempt=$((attempt + 1))
  if [ "$attempt" -ge 60 ]; then
    echo "the Temporal server at $address did not become healthy"
    exit 1
  fi
  sleep 2
done

if temporal operator namespace describe --namespace "$namespace" --address "$address" >/dev/null 2>&1; then
  echo "namespace $namespace exists"
else
  temporal operator namespace create --namespace "$namespace" --retention 30d --address "$address"
  echo "namespace $namespace created"
fi
