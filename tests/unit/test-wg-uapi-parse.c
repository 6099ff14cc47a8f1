/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The UAPI text protocol without wireguard-go: replies to get=1 and set=1,
 * good and bad, with the exact error each gives, and set=1 requests as
 * formatted.  A fuzz-like pass checks that no input crashes the parser.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sodium.h>

#include "ncu-wg-uapi.h"

/* RFC 7748, 6.1: Alice's private key and its public key. */
#define ALICE_PRIV "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define ALICE_PUB  "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
#define PEER1 "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define PEER2 "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
#define PSK   "0101010101010101010101010101010101010101010101010101010101010101"
#define ZERO  "0000000000000000000000000000000000000000000000000000000000000000"

static const char good_reply[] =
	"private_key=" ALICE_PRIV "\n"
	"listen_port=51820\n"
	"fwmark=4660\n"
	"public_key=" PEER1 "\n"
	"preshared_key=" PSK "\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.2:41234\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=999999999\n"
	"tx_bytes=18446744073709551615\n"
	"rx_bytes=1024\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.99.0.2/32\n"
	"allowed_ip=fd00::/64\n"
	"public_key=" PEER2 "\n"
	"preshared_key=" ZERO "\n"
	"protocol_version=1\n"
	"endpoint=[2001:db8::1%7]:65535\n"
	"last_handshake_time_sec=0\n"
	"last_handshake_time_nsec=0\n"
	"tx_bytes=0\n"
	"rx_bytes=0\n"
	"persistent_keepalive_interval=0\n"
	"errno=0\n"
	"\n";

static void
hex_key (const char *hex, guint8 key[NCU_KEY_LEN])
{
	g_assert_cmpint (sodium_hex2bin (key, NCU_KEY_LEN, hex, strlen (hex), NULL, NULL, NULL),
	                 ==, 0);
}

static NcuWgDeviceInfo *
parse_ok (const char *text)
{
	g_autoptr (GError) error = NULL;
	NcuWgDeviceInfo *info = NULL;

	g_assert_true (ncu_wg_uapi_parse_get (text, strlen (text), &info, &error));
	g_assert_no_error (error);
	g_assert_nonnull (info);
	return info;
}

static void
assert_cidr (const NcuCidr *cidr, const char *text)
{
	char host[INET6_ADDRSTRLEN];
	g_autofree char *got = NULL;

	g_assert_nonnull (inet_ntop (cidr->family, cidr->addr, host, sizeof host));
	got = g_strdup_printf ("%s/%u", host, cidr->prefix);
	g_assert_cmpstr (got, ==, text);
}

static void
test_good (void)
{
	g_autoptr (NcuWgDeviceInfo) info = parse_ok (good_reply);
	const NcuWgPeerInfo *p;
	guint8 key[NCU_KEY_LEN];
	g_autofree char *ep = NULL;

	hex_key (ALICE_PUB, key);
	g_assert_true (info->has_public_key);
	g_assert_cmpmem (info->public_key, NCU_KEY_LEN, key, NCU_KEY_LEN);
	g_assert_cmpuint (info->listen_port, ==, 51820);
	g_assert_cmpuint (info->fwmark, ==, 4660);
	g_assert_cmpuint (info->peers->len, ==, 2);

	hex_key (PEER1, key);
	p = ncu_wg_device_info_find_peer (info, key);
	g_assert_nonnull (p);
	g_assert_true (p->has_preshared_key);
	ep = ncu_wg_sockaddr_to_string ((const struct sockaddr *) &p->endpoint);
	g_assert_cmpstr (ep, ==, "192.0.2.2:41234");
	g_assert_cmpint (p->last_handshake_sec, ==, 1700000000);
	g_assert_cmpint (p->last_handshake_nsec, ==, 999999999);
	g_assert_cmpuint (p->tx_bytes, ==, G_MAXUINT64);
	g_assert_cmpuint (p->rx_bytes, ==, 1024);
	g_assert_cmpuint (p->persistent_keepalive, ==, 25);
	g_assert_cmpuint (p->allowed_ips->len, ==, 2);
	assert_cidr (&g_array_index (p->allowed_ips, NcuCidr, 0), "10.99.0.2/32");
	assert_cidr (&g_array_index (p->allowed_ips, NcuCidr, 1), "fd00::/64");

	hex_key (PEER2, key);
	p = ncu_wg_device_info_find_peer (info, key);
	g_assert_nonnull (p);
	g_assert_false (p->has_preshared_key);
	g_clear_pointer (&ep, g_free);
	ep = ncu_wg_sockaddr_to_string ((const struct sockaddr *) &p->endpoint);
	g_assert_cmpstr (ep, ==, "[2001:db8::1%7]:65535");
	g_assert_cmpuint (p->allowed_ips->len, ==, 0);
	g_assert_cmpint (p->last_handshake_sec, ==, 0);
}

static void
test_minimal (void)
{
	g_autoptr (NcuWgDeviceInfo) info = parse_ok ("errno=0\n\n");

	g_assert_false (info->has_public_key);
	g_assert_cmpuint (info->listen_port, ==, 0);
	g_assert_cmpuint (info->fwmark, ==, 0);
	g_assert_cmpuint (info->peers->len, ==, 0);
}

/* A newer (or patched) wireguard-go may add keys: they are skipped. */
static void
test_unknown_keys (void)
{
	g_autoptr (NcuWgDeviceInfo) info = parse_ok (
		"jc=4\n"
		"listen_port=1\n"
		"public_key=" PEER1 "\n"
		"some_future_key=\x01\xff anything at all, even very long and = signs\n"
		"allowed_ip=0.0.0.0/0\n"
		"errno=0\n\n");

	g_assert_cmpuint (info->listen_port, ==, 1);
	g_assert_cmpuint (info->peers->len, ==, 1);
	assert_cidr (&g_array_index (((NcuWgPeerInfo *) info->peers->pdata[0])->allowed_ips,
	                             NcuCidr, 0), "0.0.0.0/0");
}

typedef struct {
	const char *name;
	const char *text;
	gsize len;                     /* 0: strlen */
	int code;
	const char *message;
} BadCase;

#define PK "public_key=" PEER1 "\n"

static const BadCase bad_get[] = {
	{ "errno", "errno=-22\n\n", 0, NCU_WG_ERROR_REMOTE,
	  "wireguard-go refused the request: errno=-22 (Invalid argument)" },
	{ "errno-positive", "errno=98\n\n", 0, NCU_WG_ERROR_REMOTE,
	  "wireguard-go refused the request: errno=98 (Address already in use)" },
	{ "empty", "", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: reply truncated (no blank line at the end)" },
	{ "no-newline", "listen_port=5", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: reply truncated (no newline)" },
	{ "no-blank", "listen_port=5\nerrno=0\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 3: reply truncated (no blank line at the end)" },
	{ "no-errno", "listen_port=5\n\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: reply ends without errno" },
	{ "trailing", "errno=0\n\nx", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 3: data after the end of the reply" },
	{ "after-errno", "errno=0\nlisten_port=1\n\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: listen_port: after errno (errno must come last)" },
	{ "no-equals", "garbage\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: not a key=value line" },
	{ "empty-key", "=1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: not a key=value line" },
	{ "nul", "listen\0_port=1\nerrno=0\n\n", 24, NCU_WG_ERROR_PROTOCOL,
	  "line 1: contains a NUL byte" },
	{ "port-huge", "listen_port=65536\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: listen_port: \"65536\" is out of range (0-65535)" },
	{ "fwmark-huge", "fwmark=4294967296\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: fwmark: \"4294967296\" is out of range (0-4294967295)" },
	{ "fwmark-negative", "fwmark=-1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: fwmark: \"-1\" is not a decimal number" },
	{ "fwmark-hex", "fwmark=0x10\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: fwmark: \"0x10\" is not a decimal number" },
	{ "fwmark-empty", "fwmark=\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: fwmark: empty value" },
	{ "rx-huge", PK "rx_bytes=18446744073709551616\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: rx_bytes: \"18446744073709551616\" is out of range (0-18446744073709551615)" },
	{ "tx-very-huge", PK "tx_bytes=99999999999999999999999999999999\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: tx_bytes: \"99999999999999999999999999999999\" is out of range (0-18446744073709551615)" },
	{ "nsec-huge", PK "last_handshake_time_nsec=1000000000\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: last_handshake_time_nsec: \"1000000000\" is out of range (0-999999999)" },
	{ "sec-huge", PK "last_handshake_time_sec=9223372036854775808\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: last_handshake_time_sec: \"9223372036854775808\" is out of range (0-9223372036854775807)" },
	{ "keepalive-huge", PK "persistent_keepalive_interval=65536\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: persistent_keepalive_interval: \"65536\" is out of range (0-65535)" },
	{ "errno-huge", "errno=2147483648\n\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: errno: \"2147483648\" is out of range (0-2147483647)" },
	{ "value-too-long",
	  "rx_bytes=000000000000000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000000000000\n",
	  0, NCU_WG_ERROR_PROTOCOL, "line 1: rx_bytes: value too long (146 bytes)" },
	{ "escaped", "listen_port=1\xff\x01\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: listen_port: \"1\\377\\001\" is not a decimal number" },
	{ "private-key-bad-hex", "private_key=zz" ALICE_PRIV "\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: private_key: not a key of 64 hexadecimal digits" },
	{ "private-key-short", "private_key=77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2\n",
	  0, NCU_WG_ERROR_PROTOCOL, "line 1: private_key: not a key of 64 hexadecimal digits" },
	{ "public-key-bad-hex", "public_key=" ZERO "g\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: public_key: not a key of 64 hexadecimal digits" },
	{ "psk-bad-hex", PK "preshared_key=" PSK "0\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: preshared_key: not a key of 64 hexadecimal digits" },
	{ "peer-field-first", "endpoint=192.0.2.1:1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: endpoint: before any public_key" },
	{ "device-field-in-peer", PK "listen_port=1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: listen_port: device field inside a peer" },
	{ "protocol-version", PK "protocol_version=2\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: protocol_version: unsupported version" },
	{ "endpoint-no-port", PK "endpoint=192.0.2.1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: expected address:port" },
	{ "endpoint-bad-v4", PK "endpoint=300.0.2.1:1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: bad IPv4 address" },
	{ "endpoint-bad-port", PK "endpoint=192.0.2.1:65536\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: bad port" },
	{ "endpoint-empty-port", PK "endpoint=192.0.2.1:\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: bad port" },
	{ "endpoint-v6-unclosed", PK "endpoint=[2001:db8::1:51820\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: expected [address]:port" },
	{ "endpoint-bad-v6", PK "endpoint=[2001:db8:::1]:1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: bad IPv6 address" },
	{ "endpoint-zone", PK "endpoint=[fe80::1%no-such-if0]:1\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: endpoint: unknown IPv6 zone" },
	{ "allowed-ip-prefix", PK "allowed_ip=10.0.0.0/33\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: allowed_ip: \"33\" is out of range (0-32)" },
	{ "allowed-ip-v6-prefix", PK "allowed_ip=fd00::/129\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: allowed_ip: \"129\" is out of range (0-128)" },
	{ "allowed-ip-no-prefix", PK "allowed_ip=10.0.0.0\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: allowed_ip: expected address/prefix" },
	{ "allowed-ip-bad", PK "allowed_ip=10.0.0/8\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: allowed_ip: bad address" },
};

static const BadCase bad_set[] = {
	{ "errno", "errno=-22\n\n", 0, NCU_WG_ERROR_REMOTE,
	  "wireguard-go refused the request: errno=-22 (Invalid argument)" },
	/* listen_port taken: the caller may try again */
	{ "port-in-use", "errno=-98\n\n", 0, NCU_WG_ERROR_ADDRESS_IN_USE,
	  "wireguard-go refused the request: errno=-98 (Address already in use)" },
	{ "empty", "", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: reply truncated (no blank line at the end)" },
	{ "no-blank", "errno=0\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: reply truncated (no blank line at the end)" },
	{ "blank-only", "\n", 0, NCU_WG_ERROR_PROTOCOL, "line 1: reply ends without errno" },
	{ "other-key", "listen_port=1\n\n", 0, NCU_WG_ERROR_PROTOCOL, "line 1: expected errno=N" },
	{ "two-lines", "errno=0\nerrno=0\n\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 2: expected a blank line after errno" },
	{ "bad-number", "errno=zero\n\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 1: errno: \"zero\" is not a decimal number" },
	{ "trailing", "errno=0\n\nerrno=0\n\n", 0, NCU_WG_ERROR_PROTOCOL,
	  "line 3: data after the end of the reply" },
};

static void
test_bad_get (gconstpointer data)
{
	const BadCase *c = data;
	g_autoptr (GError) error = NULL;
	NcuWgDeviceInfo *info = NULL;
	gsize len = c->len ? c->len : strlen (c->text);

	g_assert_false (ncu_wg_uapi_parse_get (c->text, len, &info, &error));
	g_assert_null (info);
	g_assert_error (error, NCU_WG_ERROR, c->code);
	g_assert_cmpstr (error->message, ==, c->message);
}

static void
test_bad_set (gconstpointer data)
{
	const BadCase *c = data;
	g_autoptr (GError) error = NULL;

	g_assert_false (ncu_wg_uapi_parse_set_reply (c->text, strlen (c->text), &error));
	g_assert_error (error, NCU_WG_ERROR, c->code);
	g_assert_cmpstr (error->message, ==, c->message);
}

static void
test_set_ok (void)
{
	g_autoptr (GError) error = NULL;

	g_assert_true (ncu_wg_uapi_parse_set_reply ("errno=0\n\n", 9, &error));
	g_assert_no_error (error);
}

/* Secret values never show up in an error. */
static void
test_no_secret_in_error (void)
{
	static const char *const texts[] = {
		"private_key=" ALICE_PRIV "0\n",
		"private_key=" ALICE_PRIV "\nlisten_port=x\n",
		PK "preshared_key=" PSK "1\n",
	};

	for (guint i = 0; i < G_N_ELEMENTS (texts); i++) {
		g_autoptr (GError) error = NULL;
		NcuWgDeviceInfo *info = NULL;

		g_assert_false (ncu_wg_uapi_parse_get (texts[i], strlen (texts[i]), &info, &error));
		g_assert_null (strstr (error->message, "0707"));
		g_assert_null (strstr (error->message, "7707"));
		g_assert_null (strstr (error->message, "0101"));
	}
}

/* Every proper prefix of a good reply is an error, never a crash. */
static void
test_truncations (void)
{
	gsize len = strlen (good_reply);

	for (gsize i = 0; i < len; i++) {
		g_autoptr (GError) error = NULL;
		NcuWgDeviceInfo *info = NULL;
		g_autofree char *copy = g_memdup2 (good_reply, i);  /* exact size for ASan */

		g_assert_false (ncu_wg_uapi_parse_get (copy, i, &info, &error));
		g_assert_nonnull (error);
		g_assert_null (info);
	}
}

/* Random mutations: either a result or an error, never both, no crash. */
static void
test_fuzz (void)
{
	static const char alphabet[] = "=\n\0:[]%/-0123456789abcdefxg_";
	GRand *rand = g_rand_new_with_seed (0x5eed);
	gsize len = strlen (good_reply);

	for (guint round = 0; round < 20000; round++) {
		g_autofree char *buf = g_memdup2 (good_reply, len);
		g_autoptr (GError) error = NULL;
		NcuWgDeviceInfo *info = NULL;
		guint n = g_rand_int_range (rand, 1, 8);
		gsize cut = len - (gsize) g_rand_int_range (rand, 0, 3);

		for (guint k = 0; k < n; k++)
			buf[g_rand_int_range (rand, 0, (gint32) len)] =
				alphabet[g_rand_int_range (rand, 0, sizeof alphabet - 1)];
		if (ncu_wg_uapi_parse_get (buf, cut, &info, &error)) {
			g_assert_no_error (error);
			ncu_wg_device_info_free (info);
		} else {
			g_assert_nonnull (error);
			g_assert_null (info);
			g_assert_true (g_utf8_validate (error->message, -1, NULL));
		}
		(void) ncu_wg_uapi_parse_set_reply (buf, MIN (cut, 12), NULL);
	}
	g_rand_free (rand);
}

static NcuWgPeer
make_peer (GArray *ips)
{
	NcuWgPeer peer = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *) &peer.endpoint;

	hex_key (PEER1, peer.public_key);
	hex_key (PSK, peer.preshared_key);
	peer.has_preshared_key = TRUE;
	sin->sin_family = AF_INET;
	sin->sin_port = htons (51820);
	inet_pton (AF_INET, "192.0.2.2", &sin->sin_addr);
	peer.persistent_keepalive = 25;
	peer.allowed_ips = ips;
	peer.replace_allowed_ips = TRUE;
	return peer;
}

static GArray *
make_ips (void)
{
	GArray *ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	NcuCidr a = { .family = AF_INET, .prefix = 32 };
	NcuCidr b = { .family = AF_INET6, .prefix = 64 };

	inet_pton (AF_INET, "10.99.0.2", a.addr);
	inet_pton (AF_INET6, "fd00::", b.addr);
	g_array_append_val (ips, a);
	g_array_append_val (ips, b);
	return ips;
}

static void
test_format_set (void)
{
	g_autoptr (GArray) ips = make_ips ();
	NcuWgDeviceConfig dev = { .listen_port = 51820, .fwmark = 0x1234 };
	NcuWgPeer peer = make_peer (ips);
	GString *s;

	hex_key (ALICE_PRIV, dev.private_key);
	s = ncu_wg_uapi_format_set (&dev, &peer, FALSE);
	g_assert_cmpstr (s->str, ==,
		"set=1\n"
		"private_key=" ALICE_PRIV "\n"
		"listen_port=51820\n"
		"fwmark=4660\n"
		"public_key=" PEER1 "\n"
		"preshared_key=" PSK "\n"
		"endpoint=192.0.2.2:51820\n"
		"persistent_keepalive_interval=25\n"
		"replace_allowed_ips=true\n"
		"allowed_ip=10.99.0.2/32\n"
		"allowed_ip=fd00::/64\n"
		"\n");
	ncu_wg_uapi_string_free_secure (s);

	/* no pre-shared key: cleared; no endpoint: left alone */
	peer.has_preshared_key = FALSE;
	peer.endpoint.ss_family = AF_UNSPEC;
	peer.replace_allowed_ips = FALSE;
	peer.allowed_ips = NULL;
	s = ncu_wg_uapi_format_set (NULL, &peer, FALSE);
	g_assert_cmpstr (s->str, ==,
		"set=1\n"
		"public_key=" PEER1 "\n"
		"preshared_key=" ZERO "\n"
		"persistent_keepalive_interval=25\n"
		"\n");
	ncu_wg_uapi_string_free_secure (s);
}

static void
test_format_endpoint_only (void)
{
	NcuWgPeer peer = make_peer (NULL);
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &peer.endpoint;
	GString *s;

	memset (&peer.endpoint, 0, sizeof peer.endpoint);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons (4500);
	inet_pton (AF_INET6, "2001:db8::7", &sin6->sin6_addr);
	s = ncu_wg_uapi_format_set (NULL, &peer, TRUE);
	g_assert_cmpstr (s->str, ==,
		"set=1\n"
		"public_key=" PEER1 "\n"
		"update_only=true\n"
		"endpoint=[2001:db8::7]:4500\n"
		"\n");
	ncu_wg_uapi_string_free_secure (s);

	peer.remove = TRUE;
	s = ncu_wg_uapi_format_set (NULL, &peer, FALSE);
	g_assert_cmpstr (s->str, ==, "set=1\npublic_key=" PEER1 "\nremove=true\n\n");
	ncu_wg_uapi_string_free_secure (s);
}

/* Many long allowed IPs: the buffer must not grow (warning = failure). */
static void
test_format_many (void)
{
	g_autoptr (GArray) ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	NcuWgPeer peer;
	GString *s;

	for (guint i = 0; i < 3000; i++) {
		NcuCidr c = { .family = AF_INET6, .prefix = 128 };

		inet_pton (AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", c.addr);
		c.addr[15] = (guint8) i;
		g_array_append_val (ips, c);
	}
	peer = make_peer (ips);
	s = ncu_wg_uapi_format_set (NULL, &peer, FALSE);
	g_assert_nonnull (strstr (s->str, "allowed_ip=ffff:ffff:ffff:ffff:ffff:ffff:ffff:ff00/128\n"));
	ncu_wg_uapi_string_free_secure (s);
}

static void
add_cases (const char *prefix, const BadCase *cases, gsize n, GTestDataFunc func)
{
	for (gsize i = 0; i < n; i++) {
		g_autofree char *path = g_strdup_printf ("%s/%s", prefix, cases[i].name);

		g_test_add_data_func (path, &cases[i], func);
	}
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_assert_cmpint (sodium_init (), >=, 0);

	g_test_add_func ("/wg-uapi/get/good", test_good);
	g_test_add_func ("/wg-uapi/get/minimal", test_minimal);
	g_test_add_func ("/wg-uapi/get/unknown-keys", test_unknown_keys);
	add_cases ("/wg-uapi/get/bad", bad_get, G_N_ELEMENTS (bad_get), test_bad_get);
	g_test_add_func ("/wg-uapi/get/no-secret-in-error", test_no_secret_in_error);
	g_test_add_func ("/wg-uapi/get/truncations", test_truncations);
	g_test_add_func ("/wg-uapi/get/fuzz", test_fuzz);
	g_test_add_func ("/wg-uapi/set-reply/ok", test_set_ok);
	add_cases ("/wg-uapi/set-reply/bad", bad_set, G_N_ELEMENTS (bad_set), test_bad_set);
	g_test_add_func ("/wg-uapi/format/set", test_format_set);
	g_test_add_func ("/wg-uapi/format/endpoint-only", test_format_endpoint_only);
	g_test_add_func ("/wg-uapi/format/many", test_format_many);
	return g_test_run ();
}
