#!/usr/bin/env python3
"""Consume JSON log lines from Kafka into OpenSearch and Redis.

This is the pipeline a user would write with the usual client libraries
(confluent-kafka, opensearch-py, redis-py), written plainly. bench/run.sh
times it against `streamlens-top --es URL --redis ADDR` on the same topic.

For each batch of records it builds one document per event, sends the batch
with opensearch-py's bulk helper, pushes each event to a capped list and a
per-minute counter in Redis, and then commits the batch's Kafka offsets.
It stops after --count events and prints "events N wall S cpu S" on stdout.
"""

import argparse
import json
import sys
import time
from datetime import datetime, timezone

import redis
from confluent_kafka import Consumer, KafkaException
from opensearchpy import OpenSearch, helpers

# Records consumed per batch, and documents per _bulk request. 2000 is also
# the default batch size of streamlens-top.
BATCH_SIZE = 2000
CHUNK_SIZE = 2000
LATEST_CAP = 1000
COUNTER_TTL_S = 7 * 24 * 3600
TIME_KEYS = ("@timestamp", "timestamp", "time", "ts")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brokers", required=True, help="Kafka bootstrap servers")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--group", required=True, help="Kafka consumer group id")
    parser.add_argument("--es", required=True, help="OpenSearch URL")
    parser.add_argument("--index", required=True,
                        help="OpenSearch index, also the prefix of the Redis keys")
    parser.add_argument("--redis", required=True, help="Redis HOST:PORT")
    parser.add_argument("--count", type=int, required=True, help="events to consume")
    parser.add_argument("--idle-timeout", type=float, default=60.0,
                        help="seconds without a record before giving up")
    return parser.parse_args()


def to_document(line):
    """Return the OpenSearch document of one log line and its time in ms."""
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        event = {"message": line}

    stamp = None
    for key in TIME_KEYS:
        if key in event:
            stamp = str(event.pop(key))
            break
    try:
        when = datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        when = datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)

    document = {
        "@timestamp": when.isoformat(),
        "log": {"level": str(event.pop("level", "unknown")).lower()},
        "service": {"name": event.pop("service", "")},
        "host": {"name": event.pop("host", "")},
        "message": event.pop("message", ""),
        "fields": event,
        "event": {"original": line},
    }
    return document, int(when.timestamp() * 1000)


def store_batch(search, cache, args, records):
    """Send a batch to OpenSearch, then to Redis. Raises on any failure."""
    actions = []
    counters = []
    for record in records:
        line = record.value().decode("utf-8", errors="replace")
        document, ts_ms = to_document(line)
        actions.append({
            "_index": args.index,
            "_id": f"{record.topic()}-{record.partition()}-{record.offset()}",
            "_source": document,
        })
        counters.append((line, ts_ms, document["log"]["level"]))

    # raise_on_error (the default) raises BulkIndexError if any document
    # was rejected, so the offsets below are committed only after a full
    # success.
    helpers.bulk(search, actions, chunk_size=CHUNK_SIZE)

    latest = f"{args.index}:latest"
    minute_keys = set()
    pipe = cache.pipeline(transaction=False)
    for line, ts_ms, level in counters:
        minute_key = f"{args.index}:m:{ts_ms - ts_ms % 60000}"
        pipe.lpush(latest, line)
        pipe.ltrim(latest, 0, LATEST_CAP - 1)
        pipe.hincrby(minute_key, f"level:{level}", 1)
        minute_keys.add(minute_key)
    for minute_key in minute_keys:
        pipe.expire(minute_key, COUNTER_TTL_S)
    pipe.execute()


def main():
    args = parse_args()
    start = time.monotonic()
    host, _, port = args.redis.rpartition(":")
    search = OpenSearch(args.es)
    cache = redis.Redis(host=host, port=int(port))
    consumer = Consumer({
        "bootstrap.servers": args.brokers,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])

    done = 0
    last_record = time.monotonic()
    try:
        while done < args.count:
            records = consumer.consume(min(BATCH_SIZE, args.count - done), timeout=1.0)
            if not records:
                if time.monotonic() - last_record > args.idle_timeout:
                    print(f"python_consumer: no record for {args.idle_timeout:.0f} s "
                          f"after {done} of {args.count} events", file=sys.stderr)
                    return 1
                continue
            last_record = time.monotonic()
            for record in records:
                if record.error():
                    raise KafkaException(record.error())
            store_batch(search, cache, args, records)
            consumer.commit(asynchronous=False)
            done += len(records)
    finally:
        consumer.close()

    wall = time.monotonic() - start
    print(f"events {done} wall {wall:.2f} cpu {time.process_time():.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
