#!/usr/bin/env bash
# Builds the container image without a Docker daemon or a registry: target/licensor-image.tar
# (load it with docker load -i / podman load -i). docs/deployment.md says how to run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
deploy/image/rootfs.sh
python3 deploy/image/base.py target/image-root target/image-base.tar
mvn -B -ntp -q -Pimage -DskipTests package "$@"
echo "image: target/licensor-image.tar ($(du -h target/licensor-image.tar | cut -f1))"
