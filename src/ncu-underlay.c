/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/route/route.h>

#include "ncu-ice.h"
#include "ncu-source.h"
#include "ncu-underlay.h"

struct _NcuUnderlay {
	char **exclude;
	char *tunnel_interface;
	guint debounce_ms;
	NcuUnderlayChangedFunc changed;
	gpointer user_data;

	struct nl_sock *events;
	GSource *event_source;
	GSource *debounce_source;
	char *state;                     /* as last read */
	char *sessions_state;            /* what the ICE sessions were made for */
	guint changes;
};

/* ---- the state ---- */

static gboolean
strv_contains_interface (char **addresses, const char *ifname)
{
	gsize len = strlen (ifname);

	for (guint i = 0; addresses[i]; i++) {
		if (strncmp (addresses[i], ifname, len) == 0 && addresses[i][len] == ' ')
			return TRUE;
	}
	return FALSE;
}

/* "default via <gw> dev <if>" for one next hop of a default route, when
 * its interface is part of the underlay. */
static gboolean
next_hop_line (char **addresses, struct rtnl_nexthop *nh, char **line)
{
	char ifname[IF_NAMESIZE] = "";
	char gw[INET6_ADDRSTRLEN + 8] = "-";
	struct nl_addr *gateway = rtnl_route_nh_get_gateway (nh);

	if (!if_indextoname (rtnl_route_nh_get_ifindex (nh), ifname) ||
	    !strv_contains_interface (addresses, ifname))
		return FALSE;
	if (gateway)
		nl_addr2str (gateway, gw, sizeof gw);
	if (line)
		*line = g_strdup_printf ("default via %s dev %s", gw, ifname);
	return TRUE;
}

/* A default route of the main (or another non-local) table that leaves
 * through the underlay. */
static gboolean
is_underlay_default (struct rtnl_route *route, char **addresses)
{
	struct nl_addr *dst = rtnl_route_get_dst (route);

	if (rtnl_route_get_table (route) == RT_TABLE_LOCAL ||
	    rtnl_route_get_type (route) != RTN_UNICAST || (dst && nl_addr_get_prefixlen (dst) != 0))
		return FALSE;
	for (int i = 0; i < rtnl_route_get_nnexthops (route); i++) {
		if (next_hop_line (addresses, rtnl_route_nexthop_n (route, i), NULL))
			return TRUE;
	}
	return FALSE;
}

/* The default route traffic takes, per family (the lowest metric): a
 * second default route with a higher metric (Wi-Fi next to Ethernet)
 * changes nothing for the sessions, a better one does. */
static void
append_default_routes (GPtrArray *lines, char **addresses)
{
	struct nl_sock *sock = nl_socket_alloc ();
	struct nl_cache *cache = NULL;
	struct rtnl_route *best[2] = { NULL, NULL };   /* IPv4, IPv6 */
	int err;

	if (!sock)
		return;
	err = nl_connect (sock, NETLINK_ROUTE);
	if (err == 0)
		err = rtnl_route_alloc_cache (sock, AF_UNSPEC, 0, &cache);
	if (err < 0) {
		g_debug ("underlay: cannot read the routes: %s", nl_geterror (err));
		nl_socket_free (sock);
		return;
	}
	for (struct nl_object *obj = nl_cache_get_first (cache); obj; obj = nl_cache_get_next (obj)) {
		struct rtnl_route *route = (struct rtnl_route *) obj;
		guint f = rtnl_route_get_family (route) == AF_INET6 ? 1 : 0;

		if (!is_underlay_default (route, addresses))
			continue;
		if (!best[f] || rtnl_route_get_priority (route) < rtnl_route_get_priority (best[f]))
			best[f] = route;
	}
	for (guint f = 0; f < G_N_ELEMENTS (best); f++) {
		for (int i = 0; best[f] && i < rtnl_route_get_nnexthops (best[f]); i++) {
			char *line;

			if (next_hop_line (addresses, rtnl_route_nexthop_n (best[f], i), &line))
				g_ptr_array_add (lines, line);
		}
	}
	nl_cache_free (cache);
	nl_socket_free (sock);
}

static gint
compare_lines (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* One line per usable address and per next hop of the best default route
 * over one, sorted, joined by "; "; @online: whether there is an address. */
static char *
underlay_read_state (NcuUnderlay *underlay, gboolean *online)
{
	g_auto (GStrv) addresses = ncu_ice_underlay_addresses ((const char *const *) underlay->exclude,
	                                                       underlay->tunnel_interface);
	g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);

	*online = addresses[0] != NULL;
	for (guint i = 0; addresses[i]; i++)
		g_ptr_array_add (lines, g_strdup (addresses[i]));
	append_default_routes (lines, addresses);
	g_ptr_array_sort (lines, compare_lines);
	g_ptr_array_add (lines, NULL);
	return g_strjoinv ("; ", (char **) lines->pdata);
}

/* Whether every line of @old is in @now: nothing the sessions used is gone. */
static gboolean
state_covers (const char *now, const char *old)
{
	g_auto (GStrv) now_lines = g_strsplit (now, "; ", -1);
	g_auto (GStrv) old_lines = g_strsplit (old, "; ", -1);

	for (guint i = 0; old_lines[i]; i++) {
		if (*old_lines[i] && !g_strv_contains ((const char *const *) now_lines, old_lines[i]))
			return FALSE;
	}
	return TRUE;
}

/* ---- events ---- */

static gboolean
on_debounced (gpointer data)
{
	NcuUnderlay *underlay = data;
	gboolean online;
	g_autofree char *state = underlay_read_state (underlay, &online);
	g_autofree char *what = NULL;
	NcuUnderlayChange change;

	g_clear_pointer (&underlay->debounce_source, g_source_unref);
	if (g_str_equal (state, underlay->state))
		return G_SOURCE_REMOVE;
	what = g_strdup_printf ("the underlay changed from [%s] to [%s]", underlay->state, state);
	g_free (underlay->state);
	underlay->state = g_strdup (state);
	if (!online) {
		change = NCU_UNDERLAY_GONE;
	} else if (*underlay->sessions_state && state_covers (state, underlay->sessions_state)) {
		change = NCU_UNDERLAY_BACK;
	} else {
		change = NCU_UNDERLAY_NEW;
		g_free (underlay->sessions_state);
		underlay->sessions_state = g_steal_pointer (&state);
		underlay->changes++;
	}
	/* Last: the callback may free us. */
	underlay->changed (change, what, underlay->user_data);
	return G_SOURCE_REMOVE;
}

static void
schedule_check (NcuUnderlay *underlay)
{
	/* Not pushed back by later events: a flapping link still gets looked
	 * at every debounce interval. */
	if (underlay->debounce_source)
		return;
	underlay->debounce_source = ncu_source_timeout (g_main_context_get_thread_default (),
	                                                underlay->debounce_ms, "ncu-underlay debounce",
	                                                on_debounced, underlay);
}

/* The content does not matter: the state is read afresh after the
 * debounce. A lost event (ENOBUFS) is an event too. */
static gboolean
on_events (gint fd, GIOCondition condition, gpointer data)
{
	NcuUnderlay *underlay = data;
	guint8 buf[8192];

	for (;;) {
		ssize_t n = recv (fd, buf, sizeof buf, MSG_DONTWAIT);

		if (n > 0 || (n < 0 && (errno == EINTR || errno == ENOBUFS)))
			continue;
		break;
	}
	schedule_check (underlay);
	return G_SOURCE_CONTINUE;
}

static struct nl_sock *
open_event_socket (GError **error)
{
	struct nl_sock *sock = nl_socket_alloc ();
	int err;

	if (!sock) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NO_SPACE, "Underlay watch: out of memory");
		return NULL;
	}
	nl_socket_disable_seq_check (sock);
	err = nl_connect (sock, NETLINK_ROUTE);
	if (err == 0)
		err = nl_socket_add_memberships (sock, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR,
		                                 RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE,
		                                 RTNLGRP_IPV6_ROUTE, 0);
	if (err == 0)
		err = nl_socket_set_nonblocking (sock);
	if (err < 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "Underlay watch: cannot listen to rtnetlink: %s", nl_geterror (err));
		nl_socket_free (sock);
		return NULL;
	}
	return sock;
}

NcuUnderlay *
ncu_underlay_new (const char *const *exclude, const char *tunnel_interface, guint debounce_ms,
                  NcuUnderlayChangedFunc changed, gpointer user_data, GError **error)
{
	NcuUnderlay *underlay;
	struct nl_sock *sock = open_event_socket (error);
	GSource *events;
	gboolean online;

	if (!sock)
		return NULL;
	underlay = g_new0 (NcuUnderlay, 1);
	underlay->exclude = g_strdupv ((char **) exclude);
	underlay->tunnel_interface = g_strdup (tunnel_interface);
	underlay->debounce_ms = debounce_ms ? debounce_ms : NCU_UNDERLAY_DEBOUNCE_MS;
	underlay->changed = changed;
	underlay->user_data = user_data;
	underlay->events = sock;
	underlay->state = underlay_read_state (underlay, &online);
	/* Offline at the start: the first addresses are new to the sessions. */
	underlay->sessions_state = g_strdup (online ? underlay->state : "");
	g_debug ("underlay: [%s]", underlay->state);

	events = g_unix_fd_source_new (nl_socket_get_fd (sock), G_IO_IN);
	underlay->event_source = ncu_source_attach (events, g_main_context_get_thread_default (),
	                                            "ncu-underlay rtnetlink", G_SOURCE_FUNC (on_events),
	                                            underlay);
	return underlay;
}

void
ncu_underlay_free (NcuUnderlay *underlay)
{
	if (!underlay)
		return;
	ncu_source_clear (&underlay->debounce_source);
	ncu_source_clear (&underlay->event_source);
	nl_socket_free (underlay->events);
	g_strfreev (underlay->exclude);
	g_free (underlay->tunnel_interface);
	g_free (underlay->state);
	g_free (underlay->sessions_state);
	g_free (underlay);
}

guint
ncu_underlay_get_changes (NcuUnderlay *underlay)
{
	return underlay->changes;
}
