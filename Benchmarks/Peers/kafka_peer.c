/* The peer of KafkaDoorBench: librdkafka in C (no language binding's per-message cost).
 *
 *   kafka_peer produce BOOTSTRAP COUNT PARTITIONS VALUE_FILE
 *       COUNT copies of the file's bytes to `bench`, round robin over PARTITIONS, acks=all, linger 5 ms,
 *       batches up to 1 MiB; prints the seconds from the first produce call until every record is
 *       acknowledged.
 *   kafka_peer latency BOOTSTRAP COUNT VALUE_FILE
 *       COUNT records to partition 0, one at a time (each acknowledged before the next is sent);
 *       prints the p50 and p99 of the round trip in microseconds.
 *   kafka_peer consume BOOTSTRAP COUNT PARTITIONS
 *       reads COUNT records of `bench` from the beginning of every partition (assign, no group
 *       commits); prints the seconds from the first poll to the last record.
 *
 * Build: cc -O2 -o kafka_peer kafka_peer.c -lrdkafka   (Debian: librdkafka-dev) */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long failed = 0, delivered = 0;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void report(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    (void)rk;
    (void)opaque;
    if (m->err) failed++;
    delivered++;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void set(rd_kafka_conf_t *conf, const char *name, const char *value) {
    char err[512];
    if (rd_kafka_conf_set(conf, name, value, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s\n", err);
        exit(2);
    }
}

static char *readFile(const char *path, long *size) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc(*size);
    if (fread(bytes, 1, *size, f) != (size_t)*size) { perror(path); exit(2); }
    fclose(f);
    return bytes;
}

static rd_kafka_t *producer(const char *bootstrap, const char *linger) {
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    set(conf, "bootstrap.servers", bootstrap);
    set(conf, "acks", "all");
    set(conf, "linger.ms", linger);
    set(conf, "batch.size", "1048576");
    set(conf, "queue.buffering.max.messages", "2000000");
    set(conf, "queue.buffering.max.kbytes", "2000000");
    set(conf, "enable.idempotence", "false");
    set(conf, "log_level", "2");
    rd_kafka_conf_set_dr_msg_cb(conf, report);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) { fprintf(stderr, "%s\n", err); exit(2); }
    return rk;
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: see the comment at the top of kafka_peer.c\n"); return 2; }
    const char *mode = argv[1], *bootstrap = argv[2];
    long count = atol(argv[3]);
    if (strcmp(mode, "produce") == 0 && argc == 6) {
        int partitions = atoi(argv[4]);
        long size;
        char *value = readFile(argv[5], &size);
        rd_kafka_t *rk = producer(bootstrap, "5");
        rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, "bench", NULL);
        double start = now();
        for (long i = 0; i < count; i++) {
            while (rd_kafka_produce(topic, (int32_t)(i % partitions), RD_KAFKA_MSG_F_COPY, value, size, NULL, 0, NULL) == -1)
                rd_kafka_poll(rk, 1);
            if (i % 10000 == 0) rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 300000);
        double elapsed = now() - start;
        if (failed || delivered != count) { fprintf(stderr, "%ld of %ld records failed\n", failed + count - delivered, count); return 1; }
        printf("%.6f\n", elapsed);
        rd_kafka_topic_destroy(topic);
        rd_kafka_destroy(rk);
        return 0;
    }
    if (strcmp(mode, "latency") == 0) {
        long size;
        char *value = readFile(argv[4], &size);
        rd_kafka_t *rk = producer(bootstrap, "0");
        rd_kafka_topic_t *topic = rd_kafka_topic_new(rk, "bench", NULL);
        double *times = calloc(count, sizeof(double));
        for (long i = 0; i < count; i++) {
            double start = now();
            if (rd_kafka_produce(topic, 0, RD_KAFKA_MSG_F_COPY, value, size, NULL, 0, NULL) == -1) { fprintf(stderr, "produce failed\n"); return 1; }
            rd_kafka_flush(rk, 30000);
            times[i] = now() - start;
        }
        if (failed) { fprintf(stderr, "%ld records failed\n", failed); return 1; }
        qsort(times, count, sizeof(double), compare);
        printf("%.0f %.0f\n", times[count / 2] * 1e6, times[count * 99 / 100] * 1e6);
        rd_kafka_topic_destroy(topic);
        rd_kafka_destroy(rk);
        return 0;
    }
    if (strcmp(mode, "consume") == 0) {
        int partitions = atoi(argv[4]);
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", bootstrap);
        set(conf, "group.id", "bench");
        set(conf, "enable.auto.commit", "false");
        set(conf, "fetch.max.bytes", "52428800");
        set(conf, "max.partition.fetch.bytes", "4194304");
        set(conf, "log_level", "2");
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
        if (!rk) { fprintf(stderr, "%s\n", err); return 2; }
        rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
        for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(list, "bench", p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, list);
        long seen = 0;
        double start = 0;
        while (seen < count) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 10000);
            if (!m) { fprintf(stderr, "only %ld of %ld records arrived\n", seen, count); return 1; }
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) { fprintf(stderr, "%s\n", rd_kafka_message_errstr(m)); return 1; }
            } else {
                if (seen == 0) start = now();
                seen++;
            }
            rd_kafka_message_destroy(m);
        }
        printf("%.6f\n", now() - start);
        rd_kafka_topic_partition_list_destroy(list);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
}
