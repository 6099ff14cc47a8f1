/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nft scripts for the fast path, and reading rules back from nft's output.
 * The rule shapes, hooks and priorities are DESIGN.md section 6's, which
 * were checked with wireguard-go behind cone NATs and a stateful firewall.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ncu-liveness-probe.h"
#include "ncu-nft-private.h"

/* STUN's magic cookie (RFC 5389) sits at bytes 4-7 of the UDP payload,
 * i.e. bits 96-127 from the start of the transport header. In WireGuard
 * messages those bytes are a random receiver index. */
#define STUN_EXCLUSION "@th,96,32 != 0x2112a442"
/* The liveness probe's magic (ncu-liveness-probe.h) is the first four
 * bytes of the payload (bits 64-95); a WireGuard message starts with its
 * type 1-4 and three zero bytes, so it never matches. The probe must
 * reach libnice, whose socket the remote's service echoes it from. */
#define PROBE_EXCLUSION "@th,64,32 != 0x%08x"

char *
ncu_nft_table_name_for (const char *ifname)
{
	GString *name = g_string_new ("cunicu_");

	/* nft identifiers are [A-Za-z_][A-Za-z0-9_/\\.]*, and some versions
	 * reject '-' (our default names are "ncu-xxxxxxxx"). */
	for (const char *p = ifname; *p; p++)
		g_string_append_c (name, g_ascii_isalnum (*p) || *p == '_' ? *p : '_');
	return g_string_free (name, FALSE);
}

const char *
ncu_nft_direction_chain (NcuNftDirection direction)
{
	return direction == NCU_NFT_EGRESS ? "egress" : "ingress";
}

char *
ncu_nft_rule_comment (const guint8 key[NCU_KEY_LEN], NcuNftDirection direction)
{
	g_autofree char *b64 = g_base64_encode (key, NCU_KEY_LEN);

	/* Base64 has no '"' or '\\': safe inside nft's quoted string, and the
	 * full public key matches `wg show` when someone reads the table. */
	return g_strdup_printf ("cunicu %s %s", b64, ncu_nft_direction_chain (direction));
}

void
ncu_nft_append_table (GString *script, const char *table, gboolean fresh)
{
	g_string_append_printf (script, "add table inet %s\n", table);
	if (fresh)
		g_string_append_printf (script, "delete table inet %s\nadd table inet %s\n", table, table);
	/* egress before conntrack (raw, -300), so conntrack and the NAT see
	 * the ICE socket's 5-tuple; ingress after conntrack (mangle, -150),
	 * so conntrack matches the packet to the ICE flow before we rewrite. */
	g_string_append_printf (script,
	                        "add chain inet %s egress { type filter hook output priority raw; policy accept; }\n"
	                        "add chain inet %s ingress { type filter hook prerouting priority mangle; policy accept; }\n",
	                        table, table);
}

void
ncu_nft_append_delete_rule (GString *script, const char *table, NcuNftDirection direction,
                            guint64 handle)
{
	g_string_append_printf (script, "delete rule inet %s %s handle %" G_GUINT64_FORMAT "\n", table,
	                        ncu_nft_direction_chain (direction), handle);
}

void
ncu_nft_append_delete_table (GString *script, const char *table)
{
	g_string_append_printf (script, "add table inet %s\ndelete table inet %s\n", table, table);
}

static void
address_to_string (const NcuIceEndpoint *endpoint, char buf[INET6_ADDRSTRLEN])
{
	if (!inet_ntop (endpoint->family, endpoint->addr, buf, INET6_ADDRSTRLEN))
		g_strlcpy (buf, "?", INET6_ADDRSTRLEN);
}

void
ncu_nft_append_peer_rules (GString *script, const char *table, const guint8 key[NCU_KEY_LEN],
                           guint16 wg_port, const NcuIceSelectedPair *pair)
{
	const char *ip = pair->remote.family == AF_INET6 ? "ip6" : "ip";
	g_autofree char *egress = ncu_nft_rule_comment (key, NCU_NFT_EGRESS);
	g_autofree char *ingress = ncu_nft_rule_comment (key, NCU_NFT_INGRESS);
	char remote[INET6_ADDRSTRLEN], base[INET6_ADDRSTRLEN];

	address_to_string (&pair->remote, remote);
	address_to_string (&pair->local_base, base);
	/* The base port, not the mapped one: the NAT maps the base port to
	 * the srflx port only for packets that leave from the base port. */
	g_string_append_printf (script,
	                        "add rule inet %s egress %s daddr %s udp sport %u udp dport %u "
	                        "counter udp sport set %u comment \"%s\"\n",
	                        table, ip, remote, wg_port, pair->remote.port, pair->local_base.port,
	                        egress);
	g_string_append_printf (script,
	                        "add rule inet %s ingress %s saddr %s %s daddr %s udp sport %u udp dport %u "
	                        STUN_EXCLUSION " " PROBE_EXCLUSION " counter udp dport set %u comment \"%s\"\n",
	                        table, ip, remote, ip, base, pair->remote.port, pair->local_base.port,
	                        NCU_LIVENESS_MAGIC_U32, wg_port, ingress);
}

static gboolean
parse_u64_after (const char *line, const char *key, guint64 *value, const char **end)
{
	const char *p = strstr (line, key);
	char *stop = NULL;

	if (!p)
		return FALSE;
	p += strlen (key);
	if (!g_ascii_isdigit (*p))
		return FALSE;
	*value = g_ascii_strtoull (p, &stop, 10);
	if (end)
		*end = stop;
	return TRUE;
}

/* One line: NULL comment when the line is not a tagged rule with a handle. */
static gboolean
parse_rule_line (const char *line, NcuNftRuleInfo *info)
{
	const char *handle = g_strrstr (line, " # handle ");
	const char *comment = strstr (line, " comment \"");
	const char *comment_end, *counter_end = NULL;

	if (!handle || !comment || comment > handle)
		return FALSE;
	comment += strlen (" comment \"");
	comment_end = strchr (comment, '"');
	if (!comment_end || comment_end > handle)
		return FALSE;
	if (!parse_u64_after (handle, " # handle ", &info->handle, NULL))
		return FALSE;
	info->has_counter = parse_u64_after (line, " counter packets ", &info->packets, &counter_end) &&
	                    parse_u64_after (counter_end, " bytes ", &info->bytes, NULL);
	info->comment = g_strndup (comment, comment_end - comment);
	return TRUE;
}

static void
rule_info_clear (gpointer data)
{
	NcuNftRuleInfo *info = data;

	g_free (info->comment);
}

GArray *
ncu_nft_rule_info_array_new (void)
{
	GArray *rules = g_array_new (FALSE, TRUE, sizeof (NcuNftRuleInfo));

	g_array_set_clear_func (rules, rule_info_clear);
	return rules;
}

GArray *
ncu_nft_parse_rules (const char *text)
{
	GArray *rules = ncu_nft_rule_info_array_new ();
	g_auto (GStrv) lines = g_strsplit (text ? text : "", "\n", -1);

	for (guint i = 0; lines[i]; i++) {
		NcuNftRuleInfo info = { 0 };

		if (parse_rule_line (lines[i], &info))
			g_array_append_val (rules, info);
	}
	return rules;
}

const NcuNftRuleInfo *
ncu_nft_find_rule (GArray *rules, const char *comment)
{
	for (guint i = 0; i < rules->len; i++) {
		const NcuNftRuleInfo *info = &g_array_index (rules, NcuNftRuleInfo, i);

		if (g_str_equal (info->comment, comment))
			return info;
	}
	return NULL;
}
