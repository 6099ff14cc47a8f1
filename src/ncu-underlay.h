/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Watches the underlay: the networks under the tunnel, in the service's
 * network namespace. A laptop moving to another network, a DHCP lease
 * with a new address or a router swapped behind the same cable leave
 * every ICE session on sockets and mappings that no longer lead anywhere,
 * and libnice would notice only when consent runs out (~10 s) or never (a
 * socket on a removed address cannot even send its checks).
 *
 * rtnetlink's link, address and route events wake it up; after a short
 * debounce it reads the underlay's state:
 *   - the addresses ICE would gather on (ncu_ice_underlay_addresses(): no
 *     loopback, tunnels, our own interface or excluded names; an interface
 *     that is down has none), and
 *   - per family, the default route traffic takes (the lowest metric)
 *     when it leaves through one of those interfaces (gateway and
 *     interface; never the tunnel's own routes),
 * and compares it with the state the ICE sessions were made for:
 *   NEW   something the sessions used is gone (an address, the gateway or
 *         interface of the default route) and some address is left: the
 *         sessions' sockets, candidates and mappings are stale; restart
 *         every peer.
 *   GONE  no usable address at all (link down, Wi-Fi lost): a new session
 *         could not gather anything; the old sockets may well work again.
 *   BACK  all the sessions used is there (again), maybe with more (a link
 *         flap; a container bridge or a second network with a worse
 *         default route came up): the sessions still fit; only peers
 *         waiting to retry should retry now.
 * Events about the tunnel itself (NetworkManager adding its addresses and
 * routes) change nothing and report nothing.
 */
#ifndef NCU_UNDERLAY_H
#define NCU_UNDERLAY_H

#include <glib.h>

typedef struct _NcuUnderlay NcuUnderlay;

/* Default wait after the first event before comparing: lets a burst (an
 * address removed, its routes with it, a new one added) settle. */
#define NCU_UNDERLAY_DEBOUNCE_MS 300

typedef enum {
	NCU_UNDERLAY_NEW,
	NCU_UNDERLAY_GONE,
	NCU_UNDERLAY_BACK,
} NcuUnderlayChange;

/* @what says what changed, for the log. */
typedef void (*NcuUnderlayChangedFunc) (NcuUnderlayChange change, const char *what,
                                        gpointer user_data);

/*
 * Takes the current state as the reference and starts listening (in the
 * thread-default main context). @exclude (NULL-terminated globs) and
 * @tunnel_interface are those of ICE gathering; both are copied.
 * @debounce_ms 0: NCU_UNDERLAY_DEBOUNCE_MS. Fails when the netlink socket
 * cannot be opened.
 */
NcuUnderlay *ncu_underlay_new (const char *const *exclude, const char *tunnel_interface,
                               guint debounce_ms, NcuUnderlayChangedFunc changed,
                               gpointer user_data, GError **error);
void ncu_underlay_free (NcuUnderlay *underlay);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuUnderlay, ncu_underlay_free)

/* How many NEW states were reported so far. */
guint ncu_underlay_get_changes (NcuUnderlay *underlay);

#endif /* NCU_UNDERLAY_H */
