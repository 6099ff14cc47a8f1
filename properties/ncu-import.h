/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reads a wg-quick configuration file, with our additions, into an NcuWgConf.
 *
 * The format (what ncu-export writes, and what every wg-quick .conf already is):
 *
 *   [Interface]            exactly one; section and key names are
 *   PrivateKey = ...       case-insensitive, as in wg-quick
 *   ListenPort = 51820
 *   Address = 10.0.0.2/24, fd00::2/64   (repeatable; "auto" lets the service pick)
 *   MTU = 1420
 *   DNS = 10.0.0.53, fd00::53, example.com   (repeatable; IP literals become
 *                          ipv4.dns/ipv6.dns, anything else is a search domain
 *                          for both families; "~domain" is a routing-only domain)
 *   Table = off | auto | main | <number>     (off: ignore the routes the service
 *                          sends; a number: that routing table; main = 254)
 *
 *   [Peer]                 repeatable, in order: peer.0, peer.1, ...
 *   # Name = Laptop        the peer's label (a comment, so wg-quick still reads
 *                          the file); may be double-quoted
 *   # PresharedKeyFlags = 1   the preshared key's secret flags when not 0
 *   PublicKey = ...
 *   PresharedKey = ...
 *   AllowedIPs = 10.0.0.3/32   (repeatable)
 *   Endpoint = host:port | [v6]:port
 *   PersistentKeepalive = 25 | off
 *
 *   [cunicu]               optional: every other profile key under its own
 *   signaling-url = mqtts://broker.example:8883   name (see nm-settings-cunicu(5)),
 *   signaling-password = "  spaces kept  "        including the secrets
 *   private-key-flags = 1                         signaling-password, ice-password
 *                                                 and the -flags of every secret
 *
 * In [Interface] and [Peer], '#' starts a comment anywhere on a line, as in
 * wg-quick. In [cunicu] only a line starting with '#' is a comment, so a
 * value (a password) may contain '#'; a value may be double-quoted (\" and
 * \\ inside) to keep leading or trailing blanks.
 *
 * Keys wg-quick has and NetworkManager does not: PreUp, PostUp, PreDown and
 * PostDown are ignored with a warning (NetworkManager never runs commands from
 * an imported file; use a dispatcher script); SaveConfig = true and a FwMark
 * other than off/0 are ignored with a warning (no equivalent). Every other
 * unknown key or section is an error.
 *
 * The interface name is not taken from the file name as wg-quick does: the
 * file name becomes the connection id, and an imported wg0.conf must not
 * fight wg-quick over "wg0". Set interface-name in [cunicu] to choose one.
 *
 * Every secret found in the file is stored with the profile (its -flags 0)
 * unless a flags entry says otherwise.
 */
#ifndef NCU_IMPORT_H
#define NCU_IMPORT_H

#include <glib.h>
#include "ncu-wgconf.h"

/* Files larger than this are refused before parsing. */
#define NCU_IMPORT_MAX_SIZE (1024 * 1024)

/*
 * Parses @len bytes of @text (need not be NUL-terminated) and validates the
 * result with ncu_profile_validate(). On error returns NULL and sets @error
 * (domain NCU_ERROR) to "line N: <key>: <reason>" (the line is missing only
 * for errors no single line causes, e.g. a required key that is absent); no
 * partial result is ever returned. Warnings land in conf->warnings.
 */
NcuWgConf *ncu_import_parse (const char *text, gsize len, GError **error);

#endif /* NCU_IMPORT_H */
