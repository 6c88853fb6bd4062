#!/bin/bash
# Starts a live OVN sandbox with real daemons: central (NB, SB, northd), chassis hv1 and hv2
# joined by Geneve, pods p1@hv1 and p2@hv2 on logical switch ls1. Run as root.
#
#   scripts/sandbox.sh                          # with ovn-agent (default)
#   scripts/sandbox.sh --agent ovn-controller   # with the reference agent: the pods ping
#   scripts/sandbox.sh --once ...               # run the ping check, tear down, exit
#
# It stays up until Ctrl-C and tears everything down (processes, namespaces, files).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
target="${CARGO_TARGET_DIR:-target}"
packages=(-p testkit)
if [[ " $* " != *" ovn-controller "* && " $* " != *"--agent=ovn-controller"* ]]; then
    packages+=(-p agent)
fi
cargo build -q "${packages[@]}"
exec "$target/debug/ovn-sandbox" "$@"
