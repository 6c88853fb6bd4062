#!/bin/bash
# Installs the Debian 12 packages that the integration tests and the sandbox need, only when
# some are missing (so it is instant on a prepared machine). Needs root.
#
# The packages' maintainer scripts would start system OVS/OVN daemons; the harness never uses
# them (every test runs its own daemons in a private directory), so service starts are refused
# through policy-rc.d while installing.
set -euo pipefail

PKGS=(openvswitch-switch ovn-central ovn-host ovn-ic ovn-ic-db iproute2 iputils-ping tcpdump ethtool procps)

missing=()
for p in "${PKGS[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
    echo "install-deps: all packages present"
    exit 0
fi
if [[ $EUID -ne 0 ]]; then
    echo "install-deps: missing packages ${missing[*]}; run as root" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created_policy=1
fi
cleanup() { if ((created_policy)); then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
