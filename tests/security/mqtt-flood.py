#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mqtt-flood.py HOST PORT RATE SECONDS TOPIC=KIND...
#
# A minimal MQTT 3.1.1 client over a plain TCP socket (no MQTT library
# needed): connects, publishes RATE messages per second for SECONDS seconds
# at QoS 0, round-robin over the TOPIC=KIND pairs, then waits for the
# broker to answer a PINGREQ (it has read everything) and disconnects.
# KIND says what each message holds:
#   garbage         random bytes, 1-300 long
#   envelope:KEY    a well-formed envelope (version 1, sender KEY in
#                   standard base64, random nonce, random "ciphertext")
#                   that cannot open: what an attacker without the key makes
# Prints "sent N in S s" on stdout.
import base64
import os
import socket
import struct
import sys
import time

BATCH_INTERVAL = 0.01   # seconds between bursts


def varint(n):
    out = bytearray()
    while True:
        byte = n % 128
        n //= 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def utf8(s):
    data = s.encode()
    return struct.pack("!H", len(data)) + data


def packet(kind, body):
    return bytes([kind]) + varint(len(body)) + body


def connect_packet(client_id):
    variable = utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60)
    return packet(0x10, variable + utf8(client_id))


def publish_packet(topic, payload):
    return packet(0x30, utf8(topic) + payload)


def make_payload(kind):
    if kind == "garbage":
        return os.urandom(1 + os.urandom(1)[0] % 300)
    if kind.startswith("envelope:"):
        key = base64.b64decode(kind.split(":", 1)[1])
        return bytes([1]) + key + os.urandom(24) + os.urandom(16 + 180)
    raise SystemExit("unknown kind " + kind)


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise SystemExit("the broker closed the connection")
        data += chunk
    return data


def main():
    host, port, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    targets = [arg.split("=", 1) for arg in sys.argv[5:]]
    # a pool of prepared packets, so that sending is all this loop does
    pool = [publish_packet(topic, make_payload(kind))
            for _ in range(64) for topic, kind in targets]

    sock = socket.create_connection((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(connect_packet("ncu-flood-%d" % os.getpid()))
    connack = read_exactly(sock, 4)
    if connack[0] != 0x20 or connack[3] != 0:
        raise SystemExit("connection refused: %r" % connack)

    per_batch = max(1, int(rate * BATCH_INTERVAL))
    total = int(rate * seconds)
    sent = 0
    start = time.monotonic()
    while sent < total:
        n = min(per_batch, total - sent)
        sock.sendall(b"".join(pool[(sent + i) % len(pool)] for i in range(n)))
        sent += n
        # keep to the rate: the next burst is due at sent / rate
        delay = start + sent / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    elapsed = time.monotonic() - start
    sock.sendall(packet(0xC0, b""))
    while read_exactly(sock, 1)[0] != 0xD0:
        pass
    read_exactly(sock, 1)
    sock.sendall(packet(0xE0, b""))
    sock.close()
    print("sent %d in %.2f s" % (sent, elapsed))


if __name__ == "__main__":
    main()
