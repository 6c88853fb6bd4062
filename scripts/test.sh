#!/bin/bash
# The whole check, as CI runs it (as root on Debian 12 with the Rust toolchain):
# install missing packages and rustfmt/clippy, then fmt, clippy and the workspace tests
# (unit, property, doc and integration tests against real OVS/OVN daemons).
set -uo pipefail
cd "$(dirname "$0")/.."

# Property tests draw from a fixed seed unless one is given, so a CI run is reproducible; run
# with PROPTEST_RNG_SEED=<n> (or unset it in your shell) to explore other cases.
export PROPTEST_RNG_SEED="${PROPTEST_RNG_SEED:-20261201}"

declare -a SUMMARY=()
failed=0

step() {
    local name="$1"
    shift
    echo
    echo "=== $name: $*"
    local t0=$SECONDS
    if "$@"; then
        SUMMARY+=("PASS  $name ($((SECONDS - t0)) s)")
    else
        SUMMARY+=("FAIL  $name ($((SECONDS - t0)) s)")
        failed=1
    fi
}

ensure_components() {
    local c
    for c in rustfmt clippy; do
        if ! cargo "${c/rustfmt/fmt}" --version >/dev/null 2>&1; then
            rustup component add "$c" || return 1
        fi
    done
}

step install-deps scripts/install-deps.sh
step rust-components ensure_components
if ((failed)); then
    echo "setup failed; not running the checks" >&2
else
    step fmt cargo fmt --all --check
    step clippy cargo clippy --workspace --all-targets -- -D warnings
    # --no-fail-fast: one failing test binary must not hide the results of the others.
    step test cargo test --workspace --no-fail-fast
fi

echo
echo "=== summary (${SECONDS} s total)"
printf '%s\n' "${SUMMARY[@]}"
if ((failed)); then
    echo "RESULT: FAILED"
    exit 1
fi
echo "RESULT: OK"
