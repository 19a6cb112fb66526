#!/usr/bin/env bash
# cri.sh's scenarios against containerd 2.4 (its exact version is in versions.sh), which
# build.sh builds once into the cache: the containerd 2.x lane.
#
# usage: RUNTIME=/path/to/berth tests/clients/cri2.sh
CONTAINERD_LANE=2.4 exec bash "$(dirname "$0")/cri.sh" "$@"
