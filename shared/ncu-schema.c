/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of every profile key, and finding a key in it.
 */
#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ncu-schema.h"
#include "ncu-parse.h"

G_DEFINE_QUARK (ncu-error-quark, ncu_error)

/* Choice lists are in the order of the matching enum in ncu-profile.h. */
static const char *const proxy_modes[] = { "auto", "userspace", "nftables", NULL };
static const char *const wg_backends[] = { "auto", "kernel", "userspace", NULL };
static const char *const candidate_types[] = { "host", "srflx", "relay", NULL };

#define FLAGS_DESCRIPTION \
	N_("0 (the default) stores it with the profile, readable by root only; 1 lets a " \
	   "secret agent (the desktop's keyring) own it; 2 asks for it at every connect " \
	   "and never saves it; 4 marks it as not required.")

/* A -flags key: data, per peer when its secret is. */
#define SECRET_FLAGS_ENTRY(key, extra_flags, summary_text) \
	{ .name = key, .type = NCU_KEY_TYPE_SECRET_FLAGS, .flags = (extra_flags), \
	  .min = 0, .max = 7, .default_value = "0", \
	  .summary = summary_text, .description = FLAGS_DESCRIPTION }

static const NcuKeyInfo keys[] = {
	/* The WireGuard interface */
	{ .name = NCU_KEY_INTERFACE_NAME, .type = NCU_KEY_TYPE_IFNAME,
	  .summary = N_("Name of the WireGuard interface."),
	  .description = N_("Without it the service derives a name from the connection, the same "
	                    "one every time.") },
	{ .name = NCU_KEY_LISTEN_PORT, .type = NCU_KEY_TYPE_INT, .min = 0, .max = 65535,
	  .default_value = "0",
	  .summary = N_("UDP port WireGuard listens on; 0 picks a free one."),
	  .description = N_("Peers reach this port only through the local proxy or the nftables "
	                    "redirection, so it need not be open in a firewall.") },
	{ .name = NCU_KEY_ADDRESSES, .type = NCU_KEY_TYPE_ADDRESSES, .default_value = "auto",
	  .summary = N_("Addresses of the interface, or auto."),
	  .description = N_("auto gives the interface an IPv6 address in fd63:756e:6963:7500::/64 "
	                    "derived from its public key, so members of a mesh need nothing but "
	                    "keys. A list of CIDRs sets the addresses instead.") },
	{ .name = NCU_KEY_MTU, .type = NCU_KEY_TYPE_INT, .min = 1280, .max = 9000,
	  .default_value = "1420",
	  .summary = N_("MTU of the interface."),
	  .description = N_("1420 leaves room for WireGuard's 80 bytes of overhead on a 1500-byte "
	                    "link; use less when the path runs over a TURN relay or another "
	                    "tunnel.") },
	{ .name = NCU_KEY_PRIVATE_KEY, .type = NCU_KEY_TYPE_WG_KEY,
	  .flags = NCU_KEY_REQUIRED | NCU_KEY_SECRET,
	  .summary = N_("Our WireGuard private key."),
	  .description = N_("Create one with wg genkey; wg pubkey prints the public key that peers "
	                    "list. It also seals the signaling messages, so no other credential "
	                    "is needed to talk to peers.") },
	SECRET_FLAGS_ENTRY (NCU_KEY_PRIVATE_KEY NCU_FLAGS_SUFFIX, 0,
	                    N_("How the private key is stored (NMSettingSecretFlags).")),
	{ .name = NCU_KEY_WIREGUARD_BACKEND, .type = NCU_KEY_TYPE_ENUM,
	  .default_value = "auto", .choices = wg_backends,
	  .summary = N_("WireGuard implementation to use."),
	  .description = N_("kernel uses the kernel module, userspace runs wireguard-go, auto "
	                    "picks the kernel when its module is available.") },
	{ .name = NCU_KEY_PROXY_MODE, .type = NCU_KEY_TYPE_ENUM,
	  .default_value = "auto", .choices = proxy_modes,
	  .summary = N_("How WireGuard's packets reach the path ICE found."),
	  .description = N_("userspace relays every packet through a local UDP socket (works for "
	                    "every path, relays included); nftables rewrites ports in the kernel, "
	                    "which is faster but cannot serve paths through our own TURN relay; "
	                    "auto uses nftables where it can and the userspace proxy elsewhere.") },

	/* Peers, peer.N.<key> with N dense from 0 */
	{ .name = NCU_KEY_PEER_PUBLIC_KEY, .type = NCU_KEY_TYPE_WG_KEY,
	  .flags = NCU_KEY_PER_PEER | NCU_KEY_REQUIRED,
	  .summary = N_("The peer's WireGuard public key."),
	  .description = N_("Every peer needs one, and no two peers (nor our own key) may be "
	                    "the same.") },
	{ .name = NCU_KEY_PEER_ALLOWED_IPS, .type = NCU_KEY_TYPE_CIDR_LIST,
	  .flags = NCU_KEY_PER_PEER,
	  .summary = N_("Addresses the peer may send from and that are routed to it."),
	  .description = N_("Host bits may be set, as WireGuard allows; 0.0.0.0/0 or ::/0 routes "
	                    "everything through the peer.") },
	{ .name = NCU_KEY_PEER_ENDPOINT, .type = NCU_KEY_TYPE_ENDPOINT,
	  .flags = NCU_KEY_PER_PEER,
	  .summary = N_("Static address of the peer, used without ICE."),
	  .description = N_("For a peer with a fixed public address, such as a server; peers "
	                    "without one are found through signaling and ICE.") },
	{ .name = NCU_KEY_PEER_PERSISTENT_KEEPALIVE, .type = NCU_KEY_TYPE_INT,
	  .flags = NCU_KEY_PER_PEER, .min = 0, .max = 65535, .default_value = "0",
	  .summary = N_("Seconds between keepalive packets to the peer; 0 is off.") },
	{ .name = NCU_KEY_PEER_LABEL, .type = NCU_KEY_TYPE_STRING,
	  .flags = NCU_KEY_PER_PEER,
	  .summary = N_("A name for the peer, shown in logs and the editor.") },
	{ .name = NCU_KEY_PEER_PRESHARED_KEY, .type = NCU_KEY_TYPE_WG_KEY,
	  .flags = NCU_KEY_PER_PEER | NCU_KEY_SECRET,
	  .summary = N_("Optional WireGuard pre-shared key with the peer."),
	  .description = N_("Create one with wg genpsk; both sides must use the same key.") },
	SECRET_FLAGS_ENTRY (NCU_KEY_PEER_PRESHARED_KEY NCU_FLAGS_SUFFIX, NCU_KEY_PER_PEER,
	                    N_("How the pre-shared key is stored (NMSettingSecretFlags).")),

	/* Signaling */
	{ .name = NCU_KEY_SIGNALING_URL, .type = NCU_KEY_TYPE_MQTT_URL,
	  .summary = N_("MQTT broker that relays ICE offers between peers."),
	  .description = N_("The broker is not trusted: every message is sealed with the WireGuard "
	                    "keys. Ports default to 1883 for mqtt:// and 8883 for mqtts://. "
	                    "Without a broker, peers need a static endpoint or must reach us "
	                    "first.") },
	{ .name = NCU_KEY_SIGNALING_USERNAME, .type = NCU_KEY_TYPE_STRING,
	  .summary = N_("User name for the MQTT broker.") },
	{ .name = NCU_KEY_SIGNALING_PASSWORD, .type = NCU_KEY_TYPE_STRING,
	  .flags = NCU_KEY_SECRET,
	  .summary = N_("Password for the MQTT broker.") },
	SECRET_FLAGS_ENTRY (NCU_KEY_SIGNALING_PASSWORD NCU_FLAGS_SUFFIX, 0,
	                    N_("How the broker password is stored (NMSettingSecretFlags).")),
	{ .name = NCU_KEY_SIGNALING_TOPIC_PREFIX, .type = NCU_KEY_TYPE_TOPIC,
	  .default_value = "cunicu",
	  .summary = N_("First levels of the MQTT topics used for signaling."),
	  .description = N_("Messages go to <prefix>/v1/<recipient key>/<sender key>; peers that "
	                    "talk to each other must use the same prefix.") },
	{ .name = NCU_KEY_SIGNALING_CA_FILE, .type = NCU_KEY_TYPE_PATH,
	  .summary = N_("CA certificates (PEM) to check an mqtts:// broker with."),
	  .description = N_("Without it the system's CA certificates are used.") },

	/* ICE */
	{ .name = NCU_KEY_ICE_SERVERS, .type = NCU_KEY_TYPE_ICE_URLS,
	  .summary = N_("STUN and TURN servers that help ICE through NATs."),
	  .description = N_("Ports default to 3478, or 5349 for turns:. A TURN server also "
	                    "yields the address a STUN server would, so one TURN server is "
	                    "enough. Without servers only direct paths are tried.") },
	{ .name = NCU_KEY_ICE_USERNAME, .type = NCU_KEY_TYPE_STRING,
	  .summary = N_("User name for the TURN servers.") },
	{ .name = NCU_KEY_ICE_PASSWORD, .type = NCU_KEY_TYPE_STRING,
	  .flags = NCU_KEY_SECRET,
	  .summary = N_("Password for the TURN servers.") },
	SECRET_FLAGS_ENTRY (NCU_KEY_ICE_PASSWORD NCU_FLAGS_SUFFIX, 0,
	                    N_("How the TURN password is stored (NMSettingSecretFlags).")),
	{ .name = NCU_KEY_ICE_AUTH_SECRET, .type = NCU_KEY_TYPE_STRING,
	  .flags = NCU_KEY_SECRET,
	  .summary = N_("Shared secret for time-limited TURN credentials, instead of a password."),
	  .description = N_("For TURN servers that take the credentials of the TURN REST API, such "
	                    "as coturn with use-auth-secret: the same value as the server's "
	                    "static-auth-secret. Each ICE session gets its own credentials: the "
	                    "user name is the time they expire (seconds since 1970), a colon and "
	                    "ice-username (the time alone without one), the password the base64 of "
	                    "the HMAC-SHA1 of that user name under this secret. A session on a relay "
	                    "starts anew before its credentials expire. Use either this or "
	                    "ice-password, not both; the clocks of this machine and the server must "
	                    "agree.") },
	SECRET_FLAGS_ENTRY (NCU_KEY_ICE_AUTH_SECRET NCU_FLAGS_SUFFIX, 0,
	                    N_("How the TURN shared secret is stored (NMSettingSecretFlags).")),
	{ .name = NCU_KEY_ICE_AUTH_LIFETIME, .type = NCU_KEY_TYPE_INT, .min = 10, .max = 2592000,
	  .default_value = "86400",
	  .summary = N_("Seconds the credentials made from ice-auth-secret are valid."),
	  .description = N_("A session whose path uses our TURN relay starts anew when four fifths "
	                    "of this have passed (at least 5 s before the end), which interrupts "
	                    "the tunnel for a moment; so does a session still without a path. "
	                    "Only with ice-auth-secret.") },
	{ .name = NCU_KEY_ICE_CANDIDATE_TYPES, .type = NCU_KEY_TYPE_ENUM_SET,
	  .default_value = "host,srflx,relay", .choices = candidate_types,
	  .summary = N_("Kinds of ICE candidates to offer."),
	  .description = N_("host: our own addresses; srflx: our address as a STUN or TURN "
	                    "server sees it; relay: an address on the TURN server. relay alone "
	                    "forces every path through the TURN server.") },
	{ .name = NCU_KEY_ICE_INTERFACES_EXCLUDE, .type = NCU_KEY_TYPE_GLOB_LIST,
	  .summary = N_("Interfaces ICE must not gather candidates on."),
	  .description = N_("Shell patterns such as docker* or veth?; our own WireGuard interface "
	                    "and other tunnels are always excluded.") },
	{ .name = NCU_KEY_ICE_PORT_RANGE, .type = NCU_KEY_TYPE_PORT_RANGE,
	  .summary = N_("Local UDP ports ICE may use."),
	  .description = N_("Without it any free port is used.") },
};

const NcuKeyInfo *
ncu_schema_keys (gsize *n_keys)
{
	if (n_keys)
		*n_keys = G_N_ELEMENTS (keys);
	return keys;
}

/*
 * Splits "peer.N.<name>" into N and <name>. The index must be canonical
 * decimal (no sign, no leading zero) so that one peer has one spelling.
 */
static gboolean
split_peer_key (const char *key, int *index, const char **name, GError **error)
{
	const char *digits = key + strlen (NCU_PEER_KEY_PREFIX);
	const char *end = digits;
	int value = 0;

	while (g_ascii_isdigit (*end) && end - digits < 5) {
		value = value * 10 + (*end - '0');
		end++;
	}
	if (end == digits || *end != '.' || (digits[0] == '0' && end - digits > 1)
	    || value >= NCU_MAX_PEERS) {
		g_autofree char *escaped = g_strescape (key, NULL);

		ncu_set_error (error, NCU_ERROR_PEER_INDEX, escaped,
		               _("the peer index is not valid; allowed peer.N.<key> with N 0-%d, "
		                 "written without leading zeros"),
		               NCU_MAX_PEERS - 1);
		return FALSE;
	}
	*index = value;
	*name = end + 1;
	return TRUE;
}

const NcuKeyInfo *
ncu_schema_lookup (const char *key, int *peer_index, GError **error)
{
	const char *name = key;
	int index = -1;
	gsize i;

	g_return_val_if_fail (key != NULL, NULL);

	if (g_str_has_prefix (key, NCU_PEER_KEY_PREFIX)
	    && !split_peer_key (key, &index, &name, error))
		return NULL;
	for (i = 0; i < G_N_ELEMENTS (keys); i++) {
		gboolean per_peer = (keys[i].flags & NCU_KEY_PER_PEER) != 0;

		if (per_peer == (index >= 0) && strcmp (keys[i].name, name) == 0) {
			if (peer_index)
				*peer_index = index;
			return &keys[i];
		}
	}
	{
		g_autofree char *escaped = g_strescape (key, NULL);

		ncu_set_error (error, NCU_ERROR_UNKNOWN_KEY, escaped,
		               _("unknown key; allowed the keys listed in nm-settings-cunicu(5)"));
	}
	return NULL;
}
