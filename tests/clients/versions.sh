# shellcheck shell=sh
# The clients tests/clients builds itself, because Debian 12 packages only
# containerd 1.6 and no crictl: their versions and where the builds live.
# Sourced by build.sh (which builds them) and lib.sh (which runs them). A
# build's directory is named by its version, so a bump here builds anew.
CONTAINERD2_VERSION=v2.4.2
CRICTL_VERSION=v1.37.0
# shellcheck disable=SC2034 # used by the scripts that source this
CONTAINERD2_BIN=$CACHE/containerd-$CONTAINERD2_VERSION/bin
# shellcheck disable=SC2034 # used by the scripts that source this
CRICTL_BIN=$CACHE/crictl-$CRICTL_VERSION/bin
