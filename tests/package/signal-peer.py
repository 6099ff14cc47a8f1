#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A second implementation of the signaling protocol, written from
docs/signaling.md only (sections 2, 4 and 5), for
tests/package/test-signaling-doc.sh. libsodium through ctypes; no other
dependency.

  signal-peer.py topic PREFIX RECIPIENT_KEY SENDER_KEY
  signal-peer.py open PEER_KEY < envelope          (private key on fd 3)
  signal-peer.py seal PEER_KEY FIELD=VALUE... > envelope   (private key on fd 3)

Keys are WireGuard keys in standard base64, as wg prints them. `open`
checks the envelope and the payload and prints the payload's lines;
`seal` writes the payload from the fields given (type, session,
remote-session, sequence, timestamp (default now), ice-ufrag, ice-pwd,
candidate (repeatable), end-of-candidates) and seals it.
"""
import base64
import ctypes
import os
import re
import sys
import time

sodium = ctypes.CDLL("libsodium.so.23")
if sodium.sodium_init() < 0:
    sys.exit("libsodium does not initialize")

KEY = 32
NONCE = 24
MAC = 16
HEADER = 1 + KEY + NONCE
ENVELOPE_MIN = HEADER + MAC + 1
ENVELOPE_MAX = 16384
PAYLOAD_MAX = 12288
ICE_CHARS = re.compile(r"^[A-Za-z0-9+/]*$")


def wg_key(text):
    raw = base64.b64decode(text.strip(), validate=True)
    if len(raw) != KEY:
        raise ValueError("not a 32-byte key")
    return raw


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_of(private):
    out = ctypes.create_string_buffer(KEY)
    if sodium.crypto_scalarmult_base(out, private) != 0:
        raise ValueError("bad private key")
    return out.raw


def read_private():
    with os.fdopen(3) as f:
        return wg_key(f.read())


def seal(payload, peer_public, private):
    nonce = os.urandom(NONCE)
    out = ctypes.create_string_buffer(MAC + len(payload))
    if sodium.crypto_box_easy(out, payload, ctypes.c_ulonglong(len(payload)), nonce,
                              peer_public, private) != 0:
        raise ValueError("crypto_box_easy failed")
    return bytes([1]) + public_of(private) + nonce + out.raw


def open_envelope(data, peer_public, private):
    if not ENVELOPE_MIN <= len(data) <= ENVELOPE_MAX:
        raise ValueError("envelope size %d" % len(data))
    if data[0] != 1:
        raise ValueError("envelope version %d" % data[0])
    if data[1:1 + KEY] != peer_public:
        raise ValueError("envelope sender is not the peer")
    nonce = data[1 + KEY:HEADER]
    box = data[HEADER:]
    out = ctypes.create_string_buffer(len(box) - MAC)
    if sodium.crypto_box_open_easy(out, box, ctypes.c_ulonglong(len(box)), nonce,
                                   peer_public, private) != 0:
        raise ValueError("envelope does not open")
    return out.raw


def decimal(name, value):
    if not re.fullmatch(r"0|[1-9][0-9]{0,18}", value) or int(value) >= 2**63:
        raise ValueError("%s: not a decimal number" % name)
    return int(value)


def parse_payload(data, own_public):
    """Section 5, strictly. Returns the (name, value) lines."""
    if len(data) > PAYLOAD_MAX or b"\0" in data or b"\r" in data:
        raise ValueError("payload size or bytes")
    text = data.decode("ascii")
    if not text.endswith("\n"):
        raise ValueError("payload does not end with LF")
    lines = []
    for line in text[:-1].split("\n"):
        name, sep, value = line.partition(" ")
        if not sep:
            raise ValueError("line without a value: %r" % line)
        lines.append((name, value))
    names = [n for n, _ in lines]
    header = ["ncu-signal", "type", "session", "remote-session", "sequence", "timestamp",
              "recipient"]
    if names[:7] != header:
        raise ValueError("header lines %r" % names[:7])
    fields = dict(lines[:7])
    if fields["ncu-signal"] != "1":
        raise ValueError("version")
    for name in ("session", "remote-session"):
        if not re.fullmatch(r"[0-9a-f]{16}", fields[name]):
            raise ValueError(name)
    if fields["session"] == "0" * 16:
        raise ValueError("session is zero")
    if decimal("sequence", fields["sequence"]) == 0:
        raise ValueError("sequence is zero")
    decimal("timestamp", fields["timestamp"])
    if fields["recipient"] != b64url(own_public):
        raise ValueError("recipient is not us")
    rest = lines[7:]
    if fields["type"] == "bye":
        if rest:
            raise ValueError("a bye has more lines")
        return lines
    if fields["type"] != "offer":
        raise ValueError("type")
    if [n for n, _ in rest[:2]] != ["ice-ufrag", "ice-pwd"] or len(rest) < 3:
        raise ValueError("offer lines")
    for (name, value), low in zip(rest[:2], (4, 22)):
        if not low <= len(value) <= 256 or not ICE_CHARS.match(value):
            raise ValueError(name)
    candidates = rest[2:-1]
    if len(candidates) > 32:
        raise ValueError("too many candidates")
    for name, value in candidates:
        if (name != "candidate" or not value.startswith("a=candidate:") or len(value) > 256
                or value.endswith(" ") or not all(0x20 <= ord(c) <= 0x7e for c in value)):
            raise ValueError("candidate %r" % value)
    if rest[-1][0] != "end-of-candidates" or rest[-1][1] not in ("yes", "no"):
        raise ValueError("end-of-candidates")
    return lines


def make_payload(fields, candidates, peer_public):
    kind = fields.get("type", "offer")
    lines = [("ncu-signal", "1"), ("type", kind),
             ("session", fields["session"]),
             ("remote-session", fields.get("remote-session", "0" * 16)),
             ("sequence", fields.get("sequence", "1")),
             ("timestamp", fields.get("timestamp", str(int(time.time())))),
             ("recipient", b64url(peer_public))]
    if kind == "offer":
        lines += [("ice-ufrag", fields["ice-ufrag"]), ("ice-pwd", fields["ice-pwd"])]
        lines += [("candidate", c) for c in candidates]
        lines += [("end-of-candidates", fields.get("end-of-candidates", "yes"))]
    return "".join("%s %s\n" % line for line in lines).encode("ascii")


def main(argv):
    if len(argv) == 4 and argv[0] == "topic":
        print("%s/v1/%s/%s" % (argv[1], b64url(wg_key(argv[2])), b64url(wg_key(argv[3]))))
        return 0
    if len(argv) == 2 and argv[0] == "open":
        private = read_private()
        plain = open_envelope(sys.stdin.buffer.read(), wg_key(argv[1]), private)
        for name, value in parse_payload(plain, public_of(private)):
            print(name, value)
        return 0
    if len(argv) >= 2 and argv[0] == "seal":
        private = read_private()
        peer = wg_key(argv[1])
        fields, candidates = {}, []
        for arg in argv[2:]:
            name, _, value = arg.partition("=")
            if name == "candidate":
                candidates.append(value)
            else:
                fields[name] = value
        sys.stdout.buffer.write(seal(make_payload(fields, candidates, peer), peer, private))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except (ValueError, KeyError, UnicodeDecodeError) as e:
        sys.exit("signal-peer: %s" % e)
