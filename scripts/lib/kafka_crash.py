"""kill -9 rounds against the Kafka door (see scripts/kafka-crash).

Four idempotent confluent-kafka producers (acks=all) write to a two-partition topic for the whole run
while `canon serve --kafka-port` is killed with SIGKILL and restarted on the same data directory and
ports, ROUNDS times. librdkafka retries what was not acknowledged across the restarts, with the same
producer IDs and sequence numbers. At the end every record acknowledged to a producer must be in the
log at the partition and offset it was acknowledged with, no value may be stored twice, and each
partition's offsets must be dense.
"""
import base64, json, os, random, signal, socket, subprocess, sys, tempfile, threading, time, urllib.request

canon, rounds = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(os.environ.get("CRASH_SEED", "7")))


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def call(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read() or b"null")


def start(data, http, kafka):
    log = open(data + ".log", "a")
    p = subprocess.Popen([canon, "serve", "--data-dir", data, "--port", str(http), "--kafka-port", str(kafka), "--log-level", "error"],
                         stdout=log, stderr=log)
    for _ in range(400):
        if p.poll() is not None:
            raise SystemExit(f"canon serve exited with {p.returncode}; see {data}.log")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{http}/health", timeout=1)
            return p
        except Exception:
            time.sleep(0.05)
    raise SystemExit("canon serve did not come up")


def main():
    from confluent_kafka import Producer
    data = tempfile.mkdtemp(prefix="canon-kafka-crash-") + "/data"
    http, kafka = free_port(), free_port()
    server = start(data, http, kafka)
    call(http, "POST", "/v3/clusters/canon/topics", {"topic_name": "crash", "partitions_count": 2})
    acked = {}
    errors = []
    lock = threading.Lock()
    stop = threading.Event()

    def produce(k):
        producer = Producer({"bootstrap.servers": f"127.0.0.1:{kafka}", "acks": "all", "enable.idempotence": True,
                             "linger.ms": 5, "message.timeout.ms": 300000, "reconnect.backoff.max.ms": 200,
                             "client.id": f"crash-{k}", "log_level": 2})

        def report(err, msg):
            with lock:
                if err is None:
                    acked[msg.value().decode()] = (msg.partition(), msg.offset())
                else:
                    errors.append(f"{msg.value().decode()}: {err}")
        i = 0
        while not stop.is_set():
            try:
                producer.produce("crash", key=f"k{i % 7}".encode(), value=f"p{k}-{i}".encode(), on_delivery=report)
                i += 1
            except BufferError:
                pass
            producer.poll(0.002)
        remaining = producer.flush(300)
        if remaining:
            with lock:
                errors.append(f"producer {k}: {remaining} records never delivered")

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for r in range(rounds):
        time.sleep(rng.uniform(0.3, 1.2))
        server.send_signal(signal.SIGKILL)
        server.wait()
        with lock:
            count = len(acked)
        server = start(data, http, kafka)
        print(f"round {r}: killed with {count} records acknowledged so far", flush=True)
    time.sleep(1)
    stop.set()
    for t in threads:
        t.join()

    stored = {}
    duplicates = []
    for partition in (0, 1):
        offset = 0
        expected = 0
        while True:
            page = call(http, "GET", f"/v3/clusters/canon/topics/crash/partitions/{partition}/records?offset={offset}&max_records=1000&format=raw")
            rows = page.get("data") or []
            if not rows:
                break
            for row in rows:
                o = row["offset"]
                if o != expected:
                    raise SystemExit(f"partition {partition}: offset {o} where {expected} was expected (offsets must be dense)")
                expected += 1
                value = base64.b64decode(row["value"]["data"]).decode()
                if value in stored:
                    duplicates.append((value, stored[value], (partition, o)))
                stored[value] = (partition, o)
            offset = expected
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    lost = [v for v, at in acked.items() if stored.get(v) != at]
    print(f"kafka crash: {rounds} kill -9 rounds, {len(acked)} records acknowledged, {len(stored)} stored, "
          f"{len(duplicates)} duplicated, {len(lost)} acknowledged but missing or moved, {len(errors)} delivery errors")
    for d in duplicates[:5]:
        print("duplicate:", d)
    for v in lost[:5]:
        print("lost:", v, acked[v], stored.get(v))
    for e in errors[:5]:
        print("error:", e)
    sys.exit(1 if duplicates or lost or errors else 0)


main()
