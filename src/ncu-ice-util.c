/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ICE helpers without an agent: the underlay addresses to gather on and
 * strict checks of what the remote peer sends us.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <gio/gio.h>

#include "ncu-ice-private.h"

/* From linux/if_arp.h, which clashes with glibc's net/if_arp.h. */
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

/* Longest candidate line we accept; real ones are under 150 characters. */
#define CANDIDATE_MAX_LEN 512

/* Link types that carry tunnels: WireGuard and TUN devices are
 * ARPHRD_NONE, the others are the kernel's IP-in-IP/GRE/PPP devices. */
static gboolean
link_type_is_tunnel (unsigned short hatype)
{
	switch (hatype) {
	case ARPHRD_NONE:
	case ARPHRD_PPP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
	case ARPHRD_VOID:
		return TRUE;
	default:
		return FALSE;
	}
}

/* Names of interfaces whose link type says "tunnel" (AF_PACKET entries). */
static GHashTable *
collect_tunnel_links (struct ifaddrs *list)
{
	GHashTable *tunnels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr_ll *ll = (const struct sockaddr_ll *) ifa->ifa_addr;

		if (!ll || ll->sll_family != AF_PACKET)
			continue;
		if (link_type_is_tunnel (ll->sll_hatype))
			g_hash_table_add (tunnels, g_strdup (ifa->ifa_name));
	}
	return tunnels;
}

static gboolean
name_is_excluded (const char *name, const char *const *exclude, const char *tunnel_interface)
{
	if (tunnel_interface && g_str_equal (name, tunnel_interface))
		return TRUE;
	/* Other WireGuard and TUN devices, whatever their link type says. */
	if (g_str_has_prefix (name, "wg") || g_str_has_prefix (name, "tun"))
		return TRUE;
	for (guint i = 0; exclude && exclude[i]; i++) {
		if (g_pattern_match_simple (exclude[i], name))
			return TRUE;
	}
	return FALSE;
}

static gboolean
interface_is_usable (const struct ifaddrs *ifa, GHashTable *tunnels,
                     const char *const *exclude, const char *tunnel_interface,
                     gboolean loopback_only)
{
	gboolean loopback = (ifa->ifa_flags & IFF_LOOPBACK) != 0;

	if (!(ifa->ifa_flags & IFF_UP))
		return FALSE;
	if (loopback_only)
		return loopback;
	if (loopback || (ifa->ifa_flags & IFF_POINTOPOINT))
		return FALSE;
	if (g_hash_table_contains (tunnels, ifa->ifa_name))
		return FALSE;
	return !name_is_excluded (ifa->ifa_name, exclude, tunnel_interface);
}

static gboolean
address_is_usable (const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return TRUE;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *) sa)->sin6_addr;
		/* Link-local needs a scope and never crosses a router. */
		return !IN6_IS_ADDR_LINKLOCAL (a6);
	}
	return FALSE;
}

static gboolean
address_listed (GPtrArray *addresses, const NiceAddress *addr)
{
	for (guint i = 0; i < addresses->len; i++) {
		if (nice_address_equal (addresses->pdata[i], addr))
			return TRUE;
	}
	return FALSE;
}

/* Calls @func for every address ICE may gather on (see
 * ncu_ice_local_addresses()), in getifaddrs() order. */
typedef gboolean (*UsableFunc) (const struct ifaddrs *ifa, gpointer user_data);

static gboolean
for_each_usable (const char *const *exclude, const char *tunnel_interface, gboolean loopback_only,
                 UsableFunc func, gpointer user_data, GError **error)
{
	struct ifaddrs *list = NULL;
	g_autoptr (GHashTable) tunnels = NULL;

	if (getifaddrs (&list) < 0) {
		int errsv = errno;
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
		             "Cannot list network interfaces: %s", g_strerror (errsv));
		return FALSE;
	}
	tunnels = collect_tunnel_links (list);
	for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || !address_is_usable (ifa->ifa_addr))
			continue;
		if (!interface_is_usable (ifa, tunnels, exclude, tunnel_interface, loopback_only))
			continue;
		if (!func (ifa, user_data))
			break;
	}
	freeifaddrs (list);
	return TRUE;
}

static gboolean
add_nice_address (const struct ifaddrs *ifa, gpointer user_data)
{
	GPtrArray *addresses = user_data;
	NiceAddress *addr;

	if (addresses->len >= NICE_CANDIDATE_MAX_LOCAL_ADDRESSES)
		return FALSE;
	addr = nice_address_new ();
	nice_address_set_from_sockaddr (addr, ifa->ifa_addr);
	nice_address_set_port (addr, 0);
	if (address_listed (addresses, addr))
		nice_address_free (addr);
	else
		g_ptr_array_add (addresses, addr);
	return TRUE;
}

GPtrArray *
ncu_ice_local_addresses (const char *const *exclude, const char *tunnel_interface,
                         gboolean loopback_only, GError **error)
{
	g_autoptr (GPtrArray) addresses = g_ptr_array_new_with_free_func ((GDestroyNotify) nice_address_free);

	if (!for_each_usable (exclude, tunnel_interface, loopback_only, add_nice_address, addresses, error))
		return NULL;
	if (addresses->len == 0) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE,
		             "No usable network address to gather ICE candidates on "
		             "(all interfaces are down, tunnels or excluded by ice-interfaces-exclude)");
		return NULL;
	}
	return g_steal_pointer (&addresses);
}

static gboolean
add_address_string (const struct ifaddrs *ifa, gpointer user_data)
{
	GPtrArray *strings = user_data;
	NiceAddress addr;
	char text[NICE_ADDRESS_STRING_LEN];

	nice_address_init (&addr);
	nice_address_set_from_sockaddr (&addr, ifa->ifa_addr);
	nice_address_to_string (&addr, text);
	g_ptr_array_add (strings, g_strdup_printf ("%s %s", ifa->ifa_name, text));
	return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
	return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

GStrv
ncu_ice_underlay_addresses (const char *const *exclude, const char *tunnel_interface)
{
	GPtrArray *strings = g_ptr_array_new ();

	if (!for_each_usable (exclude, tunnel_interface, FALSE, add_address_string, strings, NULL))
		g_debug ("underlay: cannot list the interfaces");
	g_ptr_array_sort (strings, compare_strings);
	g_ptr_array_add (strings, NULL);
	return (GStrv) g_ptr_array_free (strings, FALSE);
}

/* RFC 8445 ice-char: ALPHA / DIGIT / "+" / "/". */
static gboolean
is_ice_chars (const char *s)
{
	for (; *s; s++) {
		if (!g_ascii_isalnum (*s) && *s != '+' && *s != '/')
			return FALSE;
	}
	return TRUE;
}

gboolean
ncu_ice_check_credential (const char *field, const char *value, gsize min_len, GError **error)
{
	gsize len = value ? strlen (value) : 0;

	if (len < min_len || len > 256 || !is_ice_chars (value)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "Remote ICE %s: must be %" G_GSIZE_FORMAT "-256 characters "
		             "of A-Z, a-z, 0-9, '+' and '/'", field, min_len);
		return FALSE;
	}
	return TRUE;
}

/* A decimal number without sign or junk, within [min, max]. */
static gboolean
parse_number (const char *text, guint64 min, guint64 max, guint64 *out)
{
	return g_ascii_string_to_unsigned (text, 10, min, max, out, NULL);
}

static gboolean
fail_field (GError **error, guint index, const char *field, const char *value)
{
	/* The value comes from the network: show a bounded, printable part. */
	g_autofree char *shown = g_strndup (value ? value : "", 64);

	for (char *p = shown; *p; p++) {
		if (!g_ascii_isprint (*p))
			*p = '?';
	}
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
	             "Remote ICE candidate %u: bad %s '%s'", index, field, shown);
	return FALSE;
}

static gboolean
check_address (const char *text)
{
	g_autoptr (GInetAddress) addr = g_inet_address_new_from_string (text);

	return addr != NULL;
}

/* The optional "name value" pairs after "typ <type>". */
static gboolean
check_extensions (char **tokens, guint index, GError **error)
{
	guint64 n;

	for (guint i = 0; tokens[i]; i += 2) {
		const char *name = tokens[i], *value = tokens[i + 1];

		if (!value)
			return fail_field (error, index, "trailing field", name);
		if (g_str_equal (name, "raddr") && !check_address (value))
			return fail_field (error, index, "raddr", value);
		if (g_str_equal (name, "rport") && !parse_number (value, 0, 65535, &n))
			return fail_field (error, index, "rport", value);
	}
	return TRUE;
}

/*
 * Fields (at least 8, the 7th "typ"): foundation component transport
 * priority address port "typ" type [name value]..., separated by single
 * spaces, as libnice splits them.
 * Sets *skip for candidates we do not use (TCP).
 */
static gboolean
check_candidate_fields (char **t, guint index, gboolean *skip, GError **error)
{
	static const char *const types[] = { "host", "srflx", "prflx", "relay", NULL };
	guint64 n;

	if (!*t[0] || strlen (t[0]) > 32 || !is_ice_chars (t[0]))
		return fail_field (error, index, "foundation", t[0]);
	if (!g_str_equal (t[1], "1"))
		return fail_field (error, index, "component", t[1]);
	if (!parse_number (t[3], 1, G_MAXUINT32, &n))
		return fail_field (error, index, "priority", t[3]);
	if (!check_address (t[4]))
		return fail_field (error, index, "address", t[4]);
	if (!parse_number (t[5], 1, 65535, &n))
		return fail_field (error, index, "port", t[5]);
	if (!g_strv_contains (types, t[7]))
		return fail_field (error, index, "type", t[7]);
	if (!check_extensions (t + 8, index, error))
		return FALSE;

	if (g_ascii_strcasecmp (t[2], "UDP") == 0)
		return TRUE;
	if (g_ascii_strncasecmp (t[2], "TCP", 3) == 0) {
		*skip = TRUE;
		return TRUE;
	}
	return fail_field (error, index, "transport", t[2]);
}

char *
ncu_ice_check_candidate (const char *candidate, guint index, GError **error)
{
	g_auto (GStrv) tokens = NULL;
	const char *body;
	gboolean skip = FALSE;

	if (!candidate) {
		fail_field (error, index, "candidate", "(null)");
		return NULL;
	}
	if (strlen (candidate) > CANDIDATE_MAX_LEN) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
		             "Remote ICE candidate %u: longer than %d characters",
		             index, CANDIDATE_MAX_LEN);
		return NULL;
	}
	body = candidate;
	if (g_str_has_prefix (body, "a="))
		body += 2;
	if (!g_str_has_prefix (body, "candidate:")) {
		fail_field (error, index, "prefix (want 'candidate:')", candidate);
		return NULL;
	}
	body += strlen ("candidate:");

	tokens = g_strsplit (body, " ", 0);
	if (g_strv_length (tokens) < 8 || !g_str_equal (tokens[6], "typ")) {
		fail_field (error, index, "format (want 'candidate:<foundation> <component> "
		            "<transport> <priority> <address> <port> typ <type>')", candidate);
		return NULL;
	}
	if (!check_candidate_fields (tokens, index, &skip, error))
		return NULL;
	if (skip)
		return NULL;
	return g_strconcat ("a=candidate:", body, NULL);
}

void
ncu_ice_endpoint_from_nice (const NiceAddress *addr, NcuIceEndpoint *endpoint)
{
	struct sockaddr_storage ss = { 0 };

	memset (endpoint, 0, sizeof *endpoint);
	if (!nice_address_is_valid (addr))
		return;
	nice_address_copy_to_sockaddr (addr, (struct sockaddr *) &ss);
	endpoint->family = ss.ss_family;
	if (ss.ss_family == AF_INET)
		memcpy (endpoint->addr, &((struct sockaddr_in *) &ss)->sin_addr, 4);
	else if (ss.ss_family == AF_INET6)
		memcpy (endpoint->addr, &((struct sockaddr_in6 *) &ss)->sin6_addr, 16);
	endpoint->port = nice_address_get_port (addr);
}

NcuIceCandidateType
ncu_ice_candidate_type_from_nice (NiceCandidateType type)
{
	switch (type) {
	case NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE:
		return NCU_ICE_CANDIDATE_SRFLX;
	case NICE_CANDIDATE_TYPE_PEER_REFLEXIVE:
		return NCU_ICE_CANDIDATE_PRFLX;
	case NICE_CANDIDATE_TYPE_RELAYED:
		return NCU_ICE_CANDIDATE_RELAY;
	case NICE_CANDIDATE_TYPE_HOST:
	default:
		return NCU_ICE_CANDIDATE_HOST;
	}
}

/* SO_*BUFFORCE passes net.core.[rw]mem_max (CAP_NET_ADMIN); otherwise
 * the plain option gets what the limit allows. */
static void
raise_buffer (int fd, int force_option, int option)
{
	int size = NCU_ICE_SOCKET_BUFFER;

	if (setsockopt (fd, SOL_SOCKET, force_option, &size, sizeof size) == 0)
		return;
	if (setsockopt (fd, SOL_SOCKET, option, &size, sizeof size) < 0)
		g_debug ("cannot raise a socket buffer: %s", g_strerror (errno));
}

void
ncu_ice_raise_socket_buffers (int fd)
{
	raise_buffer (fd, SO_RCVBUFFORCE, SO_RCVBUF);
	raise_buffer (fd, SO_SNDBUFFORCE, SO_SNDBUF);
}

gboolean
ncu_ice_base_is_host (NiceAgent *agent, guint stream_id, const NiceCandidate *local)
{
	GSList *candidates;
	gboolean found = FALSE;

	if (local->transport != NICE_CANDIDATE_TRANSPORT_UDP)
		return FALSE;
	if (local->type == NICE_CANDIDATE_TYPE_HOST || local->type == NICE_CANDIDATE_TYPE_SERVER_REFLEXIVE)
		return TRUE;
	if (local->type != NICE_CANDIDATE_TYPE_PEER_REFLEXIVE)
		return FALSE;
	/* A host candidate's address is its socket's address. */
	candidates = nice_agent_get_local_candidates (agent, stream_id, 1);
	for (GSList *l = candidates; l && !found; l = l->next) {
		const NiceCandidate *c = l->data;

		found = c->type == NICE_CANDIDATE_TYPE_HOST && c->transport == NICE_CANDIDATE_TRANSPORT_UDP &&
		        nice_address_equal (&c->addr, &local->base_addr);
	}
	g_slist_free_full (candidates, (GDestroyNotify) nice_candidate_free);
	return found;
}

const char *
ncu_ice_state_to_string (NcuIceState state)
{
	switch (state) {
	case NCU_ICE_STATE_NEW: return "new";
	case NCU_ICE_STATE_GATHERING: return "gathering";
	case NCU_ICE_STATE_CONNECTING: return "connecting";
	case NCU_ICE_STATE_CONNECTED: return "connected";
	case NCU_ICE_STATE_FAILED: return "failed";
	}
	return "unknown";
}

const char *
ncu_ice_candidate_type_to_string (NcuIceCandidateType type)
{
	switch (type) {
	case NCU_ICE_CANDIDATE_HOST: return "host";
	case NCU_ICE_CANDIDATE_SRFLX: return "srflx";
	case NCU_ICE_CANDIDATE_PRFLX: return "prflx";
	case NCU_ICE_CANDIDATE_RELAY: return "relay";
	}
	return "unknown";
}

char *
ncu_ice_endpoint_to_string (const NcuIceEndpoint *endpoint)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (endpoint->family == AF_INET6) {
		inet_ntop (AF_INET6, endpoint->addr, text, sizeof text);
		return g_strdup_printf ("[%s]:%u", text, endpoint->port);
	}
	if (endpoint->family == AF_INET) {
		inet_ntop (AF_INET, endpoint->addr, text, sizeof text);
		return g_strdup_printf ("%s:%u", text, endpoint->port);
	}
	return g_strdup ("-");
}
