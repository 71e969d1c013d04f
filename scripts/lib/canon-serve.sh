# Sourced by the scripts that test against a running server (test-examples, test-schema-workflow):
# `start_canon_serve` starts `.build/debug/canon serve` on a free loopback port with a fresh data
# directory, waits for /health and sets CANON_PORT, CANON_SERVER_PID, CANON_DATA; `stop_canon_serve`
# stops it and removes the data. Build the canon product first.

start_canon_serve() {
    CANON_DATA=$(mktemp -d /tmp/canon-serve-data-XXXXXX)
    CANON_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    .build/debug/canon serve --data-dir "$CANON_DATA" --port "$CANON_PORT" > "$CANON_DATA.log" 2>&1 &
    CANON_SERVER_PID=$!
    python3 - "$CANON_PORT" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/health", timeout=1); sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit("canon serve did not come up")
PY
}

stop_canon_serve() {
    if [ -n "${CANON_SERVER_PID:-}" ]; then kill "$CANON_SERVER_PID" 2>/dev/null || true; wait "$CANON_SERVER_PID" 2>/dev/null || true; fi
    if [ -n "${CANON_DATA:-}" ]; then rm -rf "$CANON_DATA" "$CANON_DATA.log"; fi
}
