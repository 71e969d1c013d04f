"""Crash and damage rounds against `canon serve` (see scripts/soak).

Each round, on a fresh data directory:
1. registers schemas and produces records from a background thread, and `kill -9`s the server at a
   random moment; every answer received counts as acknowledged;
2. restarts: every acknowledged schema ID answers the same schema, every acknowledged record is read
   back with its value, a new schema gets an ID above every acknowledged one, and after a clean stop
   `canon log verify` finds nothing wrong (a kill -9 never looks like damage);
3. damages the stopped directory one way at random (truncation inside acknowledged records of a topic
   or of _schemas, a flipped byte followed by intact batches, a deleted partition directory, a recovery
   checkpoint edited upwards): `canon log verify` must report it; `canon serve` must refuse to start when
   _schemas is damaged, and otherwise refuse the damaged offsets;
4. `canon log repair` (dry run) must list the loss and change nothing; `--apply` repairs; the server
   starts (with --accept-lost-registrations when registrations were lost); a new schema gets an ID
   above every ID ever acknowledged and a new record an offset above every acknowledged one.
"""
import base64, json, os, random, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.error, urllib.request

canon, rounds = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(os.environ.get("SOAK_SEED", "13")))
CT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(port, method, path, body=None, headers=CT, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def start(data, *extra):
    port = free_port()
    log = open(data + ".log", "a")
    p = subprocess.Popen([canon, "serve", "--data-dir", data, "--port", str(port), "--log-level", "error", *extra], stdout=log, stderr=log)
    for _ in range(200):
        if p.poll() is not None:
            return p, port, False
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return p, port, True
        except Exception:
            time.sleep(0.05)
    raise SystemExit("canon serve did not come up")


def stop(p):
    p.send_signal(signal.SIGTERM); p.wait(timeout=30)


def schema(n):
    return json.dumps({"type": "record", "name": f"E{n}", "namespace": "soak", "fields": [{"name": "v", "type": "long"}, {"name": f"f{n}", "type": "string"}]})


def canon_cli(*args):
    return subprocess.run([canon, *args], capture_output=True, text=True)


def data_end(path):
    """The end of a segment's data (preallocated zeros after it are not data)."""
    b = open(path, "rb").read()
    return len(b.rstrip(b"\0"))


def check(condition, what):
    if not condition:
        raise SystemExit(f"round {round_number}: {what}")


# Every kind of damage in turn (5 rounds cover them all), from a seeded start.
KINDS = ["truncate-topic", "truncate-schemas", "flip", "delete-partition", "edit-checkpoint"]
first_kind = rng.randrange(len(KINDS))
for round_number in range(rounds):
    data = tempfile.mkdtemp(prefix="canon-soak-")
    acked_ids, acked_records = {}, {}
    p, port, up = start(data)
    check(up, "did not start on a fresh directory")
    call(port, "POST", "/v3/clusters/canon/topics", {"topic_name": "t", "partitions_count": 3, "configs": [{"name": "segment.bytes", "value": "4096"}]}, headers={"Content-Type": "application/json"})
    stop_at = time.time() + rng.uniform(0.3, 2.0)
    lock = threading.Lock()

    def work(kind):
        n = 0
        while time.time() < stop_at + 5:
            n += 1
            try:
                if kind == "schemas":
                    code, body = call(port, "POST", f"/subjects/s{n % 7}/versions", {"schema": schema(n)}, timeout=2)
                    if code == 200:
                        with lock: acked_ids[body["id"]] = schema(n)
                else:
                    value = f"{kind}-{n}"
                    code, body = call(port, "POST", "/v3/clusters/canon/topics/t/records", {"key": {"type": "STRING", "data": f"k{n % 5}"}, "value": {"type": "STRING", "data": value}}, headers={"Content-Type": "application/json"}, timeout=2)
                    if code == 200:
                        with lock: acked_records[(body["partition_id"], body["offset"])] = value
            except Exception:
                return

    call(port, "PUT", "/config", {"compatibility": "NONE"})
    threads = [threading.Thread(target=work, args=(k,)) for k in ("schemas", "records-a", "records-b")]
    for t in threads: t.start()
    time.sleep(max(0, stop_at - time.time()))
    p.send_signal(signal.SIGKILL); p.wait()
    for t in threads: t.join()

    # 2. Restart after kill -9: everything acknowledged is there.
    p, port, up = start(data)
    check(up, "did not restart after kill -9: " + open(data + ".log").read()[-500:])
    for i, text in acked_ids.items():
        code, body = call(port, "GET", f"/schemas/ids/{i}")
        check(code == 200 and json.loads(body["schema"]) == json.loads(text), f"acknowledged schema ID {i} lost or changed after kill -9")
    for part in range(3):
        code, body = call(port, "GET", f"/v3/clusters/canon/topics/t/partitions/{part}/records?offset=0&max_records=10000", headers={"Content-Type": "application/json"})
        stored = {r["offset"]: base64.b64decode(r["value"]["data"]).decode() for r in body["data"]}
        for (pp, off), value in acked_records.items():
            if pp == part: check(stored.get(off) == value, f"acknowledged record {pp}/{off} lost after kill -9")
    top = max(acked_ids, default=0)
    code, body = call(port, "POST", "/subjects/after/versions", {"schema": schema(100000 + round_number)})
    check(code == 200 and body["id"] > top, f"new ID {body} not above acknowledged {top}")
    top = body["id"]
    stop(p)
    v = canon_cli("log", "verify", data)
    check(v.returncode == 0, "verify after kill -9 and clean stop: " + v.stdout + v.stderr)

    # 3. Damage.
    kind = KINDS[(first_kind + round_number) % len(KINDS)]
    ends = {}
    for part in range(3):
        d = f"{data}/t-{part}"
        ends[part] = max([off for (pp, off) in acked_records if pp == part], default=-1) + 1
    busiest = max(range(3), key=lambda q: ends[q])
    pdir = f"{data}/t-{busiest}"
    segs = sorted(f for f in os.listdir(pdir) if f.endswith(".log"))
    last = f"{pdir}/{segs[-1]}"
    first = f"{pdir}/{segs[0]}" if segs else last
    if kind == "truncate-topic" or (kind == "flip" and data_end(first) < 200) or (kind == "edit-checkpoint" and len(segs) == 0):
        kind = "truncate-topic"
        size = data_end(f"{pdir}/{segs[0]}")
        with open(f"{pdir}/{segs[0]}", "r+b") as f: f.truncate(max(1, size // 2))
        for s in segs[1:]: os.remove(f"{pdir}/{s}")
    elif kind == "truncate-schemas":
        path = f"{data}/_schemas-0/00000000000000000000.log"
        with open(path, "r+b") as f:
            f.truncate(max(1, data_end(path) // 3))
    elif kind == "flip":
        with open(first, "r+b") as f:
            f.seek(70); b = f.read(1); f.seek(70); f.write(bytes([b[0] ^ 0x10]))
    elif kind == "delete-partition":
        shutil.rmtree(pdir)
    else:
        cp = f"{pdir}/recovery-checkpoint"
        text = open(cp).read()
        lines = [l if not l.startswith("next-offset=") else f"next-offset={int(l.split('=')[1]) + 100}" for l in text.split("\n")]
        open(cp, "w").write("\n".join(lines))
    v = canon_cli("log", "verify", data)
    check(v.returncode == 1, f"verify did not report {kind}: {v.stdout} {v.stderr}")
    p, port, up = start(data)
    if kind == "truncate-schemas":
        check(not up, "serve started on damaged _schemas")
    else:
        check(up, f"serve did not start with a damaged topic ({kind})")
        code, _ = call(port, "POST", "/v3/clusters/canon/topics/t/records", {"partition_id": busiest, "value": {"type": "STRING", "data": "x"}}, headers={"Content-Type": "application/json"})
        check(code >= 400, f"append accepted on a damaged partition ({kind})")
        stop(p)

    # 4. Repair: dry run lists, --apply repairs, nothing is reused.
    before = {f: os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(data) for f in fs}
    dry = canon_cli("log", "repair", data)
    check(dry.returncode == 0 and "dry run" in dry.stdout and ("lost" in dry.stdout or "missing" in dry.stdout), f"dry run for {kind}: {dry.stdout}")
    after = {f: os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(data) for f in fs}
    check(before == after, "the dry run changed files")
    applied = canon_cli("log", "repair", "--apply", data)
    check(applied.returncode == 0, f"repair --apply: {applied.stdout} {applied.stderr}")
    v = canon_cli("log", "verify", data)
    check(v.returncode == 0, f"verify after repair of {kind}: {v.stdout} {v.stderr}")
    extra = ["--accept-lost-registrations"] if kind == "truncate-schemas" else []
    p, port, up = start(data, *extra)
    check(up, f"serve after repair of {kind}: " + open(data + ".log").read()[-500:])
    code, body = call(port, "POST", "/subjects/after-repair/versions", {"schema": schema(200000 + round_number)})
    check(code == 200 and body["id"] > top, f"ID {body} reissued after repair of {kind} (highest acknowledged {top})")
    code, body = call(port, "POST", "/v3/clusters/canon/topics/t/records", {"partition_id": busiest, "value": {"type": "STRING", "data": "after"}}, headers={"Content-Type": "application/json"})
    check(code == 200 and body["offset"] >= ends[busiest], f"offset {body} reused after repair of {kind} (acknowledged up to {ends[busiest]})")
    stop(p)
    print(f"round {round_number}: {len(acked_ids)} schemas and {len(acked_records)} records acknowledged before kill -9, all back; {kind}: reported, refused, repaired without reuse")
    shutil.rmtree(data); os.remove(data + ".log")
print(f"soak: {rounds} rounds ok")
