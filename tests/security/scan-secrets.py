#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan-secrets.py [--exclude FILE]... [--list FILE]... PATH...
#
# Reads secrets from stdin, one "LABEL KIND VALUE" a line (never from the
# command line, which other processes can read): KIND "key" for a
# WireGuard key in base64 (searched as base64, base64url, hex in either
# case and the raw 32 bytes), "password" for a password (searched as is,
# and in base64). Then searches every PATH: a regular file, or a directory
# walked recursively (symbolic links not followed; sockets, FIFOs and
# devices skipped; files over 64 MiB read in part). Prints one line per
# finding ("FOUND LABEL (FORM) in PATH at OFFSET") and the number of files
# and bytes read; exits 1 if anything was found. --list FILE reads more
# PATHs from FILE, one a line; --exclude FILE leaves FILE out.
import base64
import os
import stat
import sys

MAX_READ = 64 * 1024 * 1024


def forms(kind, value):
    """The byte strings that would reveal a secret, with a name each."""
    out = {}
    if kind == "key":
        raw = base64.b64decode(value)
        out["base64"] = value.encode()
        out["base64 unpadded"] = value.rstrip("=").encode()
        out["base64url"] = base64.urlsafe_b64encode(raw).rstrip(b"=")
        out["hex"] = raw.hex().encode()
        out["HEX"] = raw.hex().upper().encode()
        out["raw"] = raw
    elif kind == "password":
        out["text"] = value.encode()
        out["base64"] = base64.b64encode(value.encode()).rstrip(b"=")
    else:
        raise SystemExit("unknown kind " + kind)
    return out


def files_under(path, excluded):
    if os.path.realpath(path) in excluded:
        return
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISDIR(st.st_mode):
        try:
            names = sorted(os.listdir(path))
        except OSError:
            return
        for name in names:
            yield from files_under(os.path.join(path, name), excluded)
    elif stat.S_ISREG(st.st_mode):
        yield path


def main():
    args = sys.argv[1:]
    excluded = set()
    paths = []
    while len(args) >= 2 and args[0] in ("--exclude", "--list"):
        if args[0] == "--exclude":
            excluded.add(os.path.realpath(args[1]))
        else:
            with open(args[1]) as f:
                paths += [line.rstrip("\n") for line in f if line.strip()]
        args = args[2:]
    paths += args
    needles = []
    for line in sys.stdin:
        if line.strip():
            label, kind, value = line.split(None, 2)
            for form, data in forms(kind, value.strip()).items():
                needles.append((label, form, data))
    if not needles:
        raise SystemExit("no secrets on stdin")

    found = 0
    n_files = n_bytes = 0
    for top in paths:
        for path in files_under(top, excluded):
            try:
                with open(path, "rb") as f:
                    data = f.read(MAX_READ)
            except OSError:
                continue
            n_files += 1
            n_bytes += len(data)
            for label, form, needle in needles:
                at = data.find(needle)
                if at >= 0:
                    print("FOUND %s (%s) in %s at %d" % (label, form, path, at))
                    found += 1
    print("scanned %d files, %d bytes, for %d forms of %d secrets"
          % (n_files, n_bytes, len(needles), len({n[0] for n in needles})))
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
