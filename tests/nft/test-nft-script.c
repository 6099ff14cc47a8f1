/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nft module without root: table names, the exact rules it generates,
 * parsing nft's output, which pairs qualify, and the runner against a fake
 * nft (a shell script whose replies the test sets per call): handles are
 * tracked across updates, errors carry nft's stderr, a hanging nft is
 * killed after the timeout, a missing one is reported.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <glib/gstdio.h>

#include "ncu-nft-private.h"

static const guint8 KEY_A[NCU_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                           17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const guint8 KEY_B[NCU_KEY_LEN] = { 0xff, 0xfe, 0xfd };

static void
endpoint_set (NcuIceEndpoint *endpoint, const char *address, guint16 port)
{
	memset (endpoint, 0, sizeof *endpoint);
	endpoint->family = strchr (address, ':') ? AF_INET6 : AF_INET;
	g_assert_cmpint (inet_pton (endpoint->family, address, endpoint->addr), ==, 1);
	endpoint->port = port;
}

static NcuIceSelectedPair
make_pair (NcuIceCandidateType local_type, const char *base, guint16 base_port,
           const char *remote, guint16 remote_port)
{
	NcuIceSelectedPair pair;

	memset (&pair, 0, sizeof pair);
	pair.local_type = local_type;
	pair.remote_type = NCU_ICE_CANDIDATE_SRFLX;
	endpoint_set (&pair.local_base, base, base_port);
	endpoint_set (&pair.local, base, base_port);
	endpoint_set (&pair.remote, remote, remote_port);
	return pair;
}

static void
test_table_name (void)
{
	const struct { const char *ifname, *table; } cases[] = {
		{ "wg0", "cunicu_wg0" },
		{ "ncu-1a2b3c4d", "cunicu_ncu_1a2b3c4d" },
		{ "a.b-c_d", "cunicu_a_b_c_d" },
		{ "x@y:z", "cunicu_x_y_z" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree char *table = ncu_nft_table_name_for (cases[i].ifname);
		g_autoptr (NcuNft) nft = ncu_nft_new (cases[i].ifname);

		g_assert_cmpstr (table, ==, cases[i].table);
		g_assert_cmpstr (ncu_nft_get_table_name (nft), ==, cases[i].table);
	}
}

static void
test_rules_v4 (void)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_SRFLX, "192.168.1.2", 40001,
	                                     "203.0.113.20", 40002);
	g_autoptr (GString) script = g_string_new (NULL);
	g_autofree char *b64 = g_base64_encode (KEY_A, NCU_KEY_LEN);
	g_autofree char *expected = NULL;

	/* The mapped address must not matter: only the base is ours. */
	endpoint_set (&pair.local, "203.0.113.10", 1024);
	ncu_nft_append_peer_rules (script, "cunicu_wg0", KEY_A, 51820, &pair);
	expected = g_strdup_printf (
		"add rule inet cunicu_wg0 egress ip daddr 203.0.113.20 udp sport 51820 udp dport 40002 "
		"counter udp sport set 40001 comment \"cunicu %s egress\"\n"
		"add rule inet cunicu_wg0 ingress ip saddr 203.0.113.20 ip daddr 192.168.1.2 "
		"udp sport 40002 udp dport 40001 @th,96,32 != 0x2112a442 @th,64,32 != 0xff4e4355 "
		"counter udp dport set 51820 "
		"comment \"cunicu %s ingress\"\n",
		b64, b64);
	g_assert_cmpstr (script->str, ==, expected);
}

static void
test_rules_v6 (void)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_HOST, "2001:db8::2", 50000,
	                                     "2001:db8:1::20", 50001);
	g_autoptr (GString) script = g_string_new (NULL);

	ncu_nft_append_peer_rules (script, "t", KEY_A, 51820, &pair);
	g_assert_nonnull (strstr (script->str, "egress ip6 daddr 2001:db8:1::20 udp sport 51820 "
	                                       "udp dport 50001 counter udp sport set 50000 "));
	g_assert_nonnull (strstr (script->str, "ingress ip6 saddr 2001:db8:1::20 ip6 daddr 2001:db8::2 "
	                                       "udp sport 50001 udp dport 50000 @th,96,32 != 0x2112a442 "
	                                       "@th,64,32 != 0xff4e4355 counter udp dport set 51820 "));
	g_assert_null (strstr (script->str, " ip daddr"));
}

static void
test_table_script (void)
{
	g_autoptr (GString) script = g_string_new (NULL);

	ncu_nft_append_table (script, "t", TRUE);
	g_assert_cmpstr (script->str, ==,
	                 "add table inet t\ndelete table inet t\nadd table inet t\n"
	                 "add chain inet t egress { type filter hook output priority raw; policy accept; }\n"
	                 "add chain inet t ingress { type filter hook prerouting priority mangle; policy accept; }\n");
	g_string_truncate (script, 0);
	ncu_nft_append_table (script, "t", FALSE);
	g_assert_true (g_str_has_prefix (script->str, "add table inet t\nadd chain"));
	g_string_truncate (script, 0);
	ncu_nft_append_delete_rule (script, "t", NCU_NFT_INGRESS, 17);
	ncu_nft_append_delete_table (script, "t");
	g_assert_cmpstr (script->str, ==,
	                 "delete rule inet t ingress handle 17\nadd table inet t\ndelete table inet t\n");
}

static void
test_qualifies (void)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_HOST, "192.168.1.2", 1, "192.168.1.3", 2);
	const char *why = NULL;

	g_assert_true (ncu_nft_pair_qualifies (&pair, &why));
	g_assert_null (why);
	pair.local_type = NCU_ICE_CANDIDATE_SRFLX;
	pair.remote_type = NCU_ICE_CANDIDATE_RELAY;  /* a relayed remote is fine */
	g_assert_true (ncu_nft_pair_qualifies (&pair, NULL));
	pair.local_type = NCU_ICE_CANDIDATE_RELAY;
	g_assert_false (ncu_nft_pair_qualifies (&pair, &why));
	g_assert_nonnull (strstr (why, "relay"));
	/* Peer-reflexive: a NAT mapping like srflx, learnt during the checks.
	 * Learnt on a host socket it qualifies; learnt through TURN (its base
	 * is the relayed address) it does not. */
	pair.local_type = NCU_ICE_CANDIDATE_PRFLX;
	pair.local_base_is_host = TRUE;
	g_assert_true (ncu_nft_pair_qualifies (&pair, &why));
	g_assert_null (why);
	pair.local_base_is_host = FALSE;
	g_assert_false (ncu_nft_pair_qualifies (&pair, &why));
	g_assert_nonnull (strstr (why, "peer-reflexive"));
	pair.local_type = NCU_ICE_CANDIDATE_HOST;
	endpoint_set (&pair.remote, "2001:db8::1", 2);
	g_assert_false (ncu_nft_pair_qualifies (&pair, &why));
	g_assert_nonnull (strstr (why, "famil"));
	endpoint_set (&pair.remote, "192.168.1.3", 0);
	g_assert_false (ncu_nft_pair_qualifies (&pair, NULL));
	g_assert_false (ncu_nft_pair_qualifies (NULL, &why));
}

/* Output of nft 1.0.6: `--echo --handle -f -` and `-a list table`. */
static const char ECHO_OUTPUT[] =
	"add table inet t # handle 1\n"
	"add chain inet t egress { type filter hook output priority raw; policy accept; } # handle 1\n"
	"add rule inet t egress ip daddr 203.0.113.20 udp sport 51820 udp dport 40000 counter packets 0 "
	"bytes 0 udp sport set 50000 comment \"cunicu AQ== egress\" # handle 3\n"
	"add rule inet t ingress ip saddr 203.0.113.20 ip daddr 192.168.1.2 udp sport 40000 udp dport "
	"50000 @th,96,32 != 0x2112a442 counter packets 0 bytes 0 udp dport set 51820 comment "
	"\"cunicu AQ== ingress\" # handle 4\n"
	"# new generation 2 by process 21216 (nft)\n";
static const char LIST_OUTPUT[] =
	"table inet t { # handle 2\n"
	"\tchain egress { # handle 1\n"
	"\t\ttype filter hook output priority raw; policy accept;\n"
	"\t\tip daddr 203.0.113.20 udp sport 51820 udp dport 40000 counter packets 12 bytes 3456 "
	"udp sport set 50000 comment \"cunicu AQ== egress\" # handle 3\n"
	"\t\tudp dport 9 counter packets 1 bytes 2 # handle 9\n"
	"\t}\n"
	"\tchain ingress { # handle 2\n"
	"\t\ttype filter hook prerouting priority mangle; policy accept;\n"
	"\t\tip saddr 203.0.113.20 ip daddr 192.168.1.2 udp sport 40000 udp dport 50000 "
	"@th,96,32 != 0x2112a442 counter packets 18446744073709551615 bytes 7 udp dport set 51820 "
	"comment \"cunicu AQ== ingress\" # handle 4\n"
	"\t}\n"
	"}\n";

static void
test_parse (void)
{
	g_autoptr (GArray) echo = ncu_nft_parse_rules (ECHO_OUTPUT);
	g_autoptr (GArray) list = ncu_nft_parse_rules (LIST_OUTPUT);
	g_autoptr (GArray) none = ncu_nft_parse_rules (NULL);
	const NcuNftRuleInfo *info;

	g_assert_cmpuint (echo->len, ==, 2);
	info = ncu_nft_find_rule (echo, "cunicu AQ== ingress");
	g_assert_nonnull (info);
	g_assert_cmpuint (info->handle, ==, 4);
	g_assert_true (info->has_counter);
	g_assert_cmpuint (list->len, ==, 2);  /* the untagged rule is not ours */
	info = ncu_nft_find_rule (list, "cunicu AQ== egress");
	g_assert_cmpuint (info->handle, ==, 3);
	g_assert_cmpuint (info->packets, ==, 12);
	g_assert_cmpuint (info->bytes, ==, 3456);
	info = ncu_nft_find_rule (list, "cunicu AQ== ingress");
	g_assert_cmpuint (info->packets, ==, G_MAXUINT64);
	g_assert_null (ncu_nft_find_rule (list, "cunicu AQ=="));
	g_assert_cmpuint (none->len, ==, 0);
}

/* ---- the runner, against a fake nft ---- */

static const char FAKE_NFT[] =
	"#!/bin/sh\n"
	"PATH=/usr/bin:/bin\n"
	"d=${0%/*}\n"
	"echo \"$*\" >>\"$d/args.log\"\n"
	"{ cat; echo ----; } >>\"$d/stdin.log\"\n"
	"[ -f \"$d/sleep\" ] && exec sleep \"$(cat \"$d/sleep\")\"\n"
	"[ -f \"$d/stderr\" ] && cat \"$d/stderr\" >&2\n"
	"[ -f \"$d/stdout\" ] && cat \"$d/stdout\"\n"
	"exit \"$(cat \"$d/rc\" 2>/dev/null || echo 0)\"\n";

typedef struct {
	char *dir;
	NcuNft *nft;
} Fake;

static char *
fake_path (Fake *fake, const char *name)
{
	return g_build_filename (fake->dir, name, NULL);
}

static void
fake_set (Fake *fake, const char *name, const char *content)
{
	g_autofree char *path = fake_path (fake, name);

	if (content)
		g_assert_true (g_file_set_contents (path, content, -1, NULL));
	else
		g_unlink (path);
}

/* What the fake received since the last call, and forget it. */
static char *
fake_take_stdin (Fake *fake)
{
	g_autofree char *path = fake_path (fake, "stdin.log");
	char *text = NULL;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		text = g_strdup ("");
	g_unlink (path);
	return text;
}

/* Echo output for the two rules of @key with handles @egress/@ingress. */
static char *
echo_for (const guint8 *key, guint egress, guint ingress)
{
	g_autofree char *e = ncu_nft_rule_comment (key, NCU_NFT_EGRESS);
	g_autofree char *i = ncu_nft_rule_comment (key, NCU_NFT_INGRESS);

	return g_strdup_printf ("add table inet t # handle 1\n"
	                        "add rule inet t egress ip daddr 1.2.3.4 counter packets 0 bytes 0 "
	                        "comment \"%s\" # handle %u\n"
	                        "add rule inet t ingress ip saddr 1.2.3.4 counter packets 0 bytes 0 "
	                        "comment \"%s\" # handle %u\n",
	                        e, egress, i, ingress);
}

static void
fake_setup (Fake *fake, gconstpointer data)
{
	g_autofree char *script = NULL;

	fake->dir = g_dir_make_tmp ("ncu-nft-fake-XXXXXX", NULL);
	g_assert_nonnull (fake->dir);
	script = fake_path (fake, "nft");
	g_assert_true (g_file_set_contents (script, FAKE_NFT, -1, NULL));
	g_assert_cmpint (g_chmod (script, 0755), ==, 0);
	g_setenv ("NCU_NFT", script, TRUE);
	fake->nft = ncu_nft_new ("wg-x");
}

static void
fake_teardown (Fake *fake, gconstpointer data)
{
	const char *files[] = { "nft", "args.log", "stdin.log", "stdout", "stderr", "rc", "sleep" };

	fake_set (fake, "rc", NULL);
	fake_set (fake, "sleep", NULL);
	g_clear_pointer (&fake->nft, ncu_nft_free);
	for (guint i = 0; i < G_N_ELEMENTS (files); i++) {
		g_autofree char *path = fake_path (fake, files[i]);
		g_unlink (path);
	}
	g_rmdir (fake->dir);
	g_free (fake->dir);
	g_unsetenv ("NCU_NFT");
}

static void
test_fake_lifecycle (Fake *fake, gconstpointer data)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_SRFLX, "192.168.1.2", 40001,
	                                     "203.0.113.20", 40002);
	g_autofree char *echo1 = echo_for (KEY_A, 3, 4);
	g_autofree char *echo2 = echo_for (KEY_A, 7, 8);
	g_autofree char *args = NULL;
	g_autofree char *args_path = fake_path (fake, "args.log");
	g_autoptr (GError) error = NULL;
	char *in;

	g_assert_false (ncu_nft_has_peer (fake->nft, KEY_A));
	/* Nothing installed: removing is a no-op that runs nothing. */
	g_assert_true (ncu_nft_remove_peer (fake->nft, KEY_A, &error));
	fake_set (fake, "stdout", echo1);
	g_assert_true (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	g_assert_no_error (error);
	g_assert_true (ncu_nft_has_peer (fake->nft, KEY_A));
	in = fake_take_stdin (fake);
	/* First use: a stale table from a crash goes in the same transaction. */
	g_assert_true (g_str_has_prefix (in, "add table inet cunicu_wg_x\ndelete table inet cunicu_wg_x\n"));
	g_assert_nonnull (strstr (in, "udp sport set 40001"));
	g_free (in);
	g_assert_true (g_file_get_contents (args_path, &args, NULL, NULL));
	g_assert_cmpstr (args, ==, "--handle --echo -f -\n");

	/* The same pair again: nothing to do. */
	g_assert_true (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	in = fake_take_stdin (fake);
	g_assert_cmpstr (in, ==, "");
	g_free (in);

	/* A new pair: old rules out, new ones in, one transaction. */
	pair.local_base.port = 40011;
	fake_set (fake, "stdout", echo2);
	g_assert_true (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	in = fake_take_stdin (fake);
	g_assert_null (strstr (in, "delete table"));
	g_assert_nonnull (strstr (in, "delete rule inet cunicu_wg_x egress handle 3\n"));
	g_assert_nonnull (strstr (in, "delete rule inet cunicu_wg_x ingress handle 4\n"));
	g_assert_nonnull (strstr (in, "udp sport set 40011"));
	g_assert_cmpint (strstr (in, "handle 4") - strstr (in, "add rule"), <, 0);
	g_free (in);

	/* Leaving: ingress first, then the rest. */
	fake_set (fake, "stdout", "");
	g_assert_true (ncu_nft_remove_ingress (fake->nft, KEY_A, &error));
	in = fake_take_stdin (fake);
	g_assert_cmpstr (in, ==, "delete rule inet cunicu_wg_x ingress handle 8\n----\n");
	g_free (in);
	g_assert_true (ncu_nft_remove_ingress (fake->nft, KEY_A, &error));
	g_assert_true (ncu_nft_has_peer (fake->nft, KEY_A));
	g_assert_true (ncu_nft_remove_peer (fake->nft, KEY_A, &error));
	g_assert_false (ncu_nft_has_peer (fake->nft, KEY_A));
	in = fake_take_stdin (fake);
	g_assert_cmpstr (in, ==, "delete rule inet cunicu_wg_x egress handle 7\n----\n");
	g_free (in);

	/* Freeing deletes the table it created. */
	g_clear_pointer (&fake->nft, ncu_nft_free);
	in = fake_take_stdin (fake);
	g_assert_cmpstr (in, ==, "add table inet cunicu_wg_x\ndelete table inet cunicu_wg_x\n----\n");
	g_free (in);
}

static void
test_fake_two_peers (Fake *fake, gconstpointer data)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_HOST, "10.0.0.1", 1000, "10.0.0.2", 2000);
	g_autofree char *echo_a = echo_for (KEY_A, 3, 4);
	g_autofree char *echo_b = echo_for (KEY_B, 5, 6);
	g_autoptr (GError) error = NULL;
	char *in;

	fake_set (fake, "stdout", echo_a);
	g_assert_true (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	fake_set (fake, "stdout", echo_b);
	g_assert_true (ncu_nft_set_peer (fake->nft, KEY_B, 51820, &pair, &error));
	g_free (fake_take_stdin (fake));
	fake_set (fake, "stdout", "");
	g_assert_true (ncu_nft_remove_peer (fake->nft, KEY_B, &error));
	in = fake_take_stdin (fake);
	/* Only B's rules: A's handles 3 and 4 stay. */
	g_assert_cmpstr (in, ==,
	                 "delete rule inet cunicu_wg_x ingress handle 6\n"
	                 "delete rule inet cunicu_wg_x egress handle 5\n----\n");
	g_free (in);
	g_assert_true (ncu_nft_has_peer (fake->nft, KEY_A));
}

static void
test_fake_rejected (Fake *fake, gconstpointer data)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_HOST, "10.0.0.1", 1000, "10.0.0.2", 2000);
	g_autoptr (GError) error = NULL;
	char *in;

	fake_set (fake, "stderr", "/dev/stdin:3:1-4: Error: Could not process rule: boom\n");
	fake_set (fake, "rc", "1");
	g_assert_false (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_REJECTED);
	g_assert_nonnull (strstr (error->message, "Could not process rule: boom"));
	g_assert_nonnull (strstr (error->message, "exit status 1"));
	g_assert_nonnull (strstr (error->message, "cunicu_wg_x"));
	g_assert_false (ncu_nft_has_peer (fake->nft, KEY_A));
	g_free (fake_take_stdin (fake));
	g_clear_error (&error);

	/* Rules someone else deleted: the transaction is refused, the table
	 * is re-read (here it is gone) and the update retried from scratch. */
	fake_set (fake, "stderr", NULL);
	fake_set (fake, "rc", NULL);
	{
		g_autofree char *echo = echo_for (KEY_A, 3, 4);
		fake_set (fake, "stdout", echo);
	}
	g_assert_true (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	g_free (fake_take_stdin (fake));
	pair.remote.port = 2001;
	fake_set (fake, "rc", "1");
	g_assert_false (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_REJECTED);
	in = fake_take_stdin (fake);
	/* attempt, listing, attempt from scratch */
	g_assert_nonnull (strstr (in, "handle 4\n"));
	g_assert_nonnull (strstr (in, "----\nlist table inet cunicu_wg_x\n----\nadd table inet cunicu_wg_x\n"
	                              "delete table inet cunicu_wg_x\n"));
	g_free (in);
}

static void
test_fake_timeout (Fake *fake, gconstpointer data)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_HOST, "10.0.0.1", 1000, "10.0.0.2", 2000);
	g_autoptr (GError) error = NULL;
	gint64 start = g_get_monotonic_time ();

	fake_set (fake, "sleep", "30");
	ncu_nft_set_timeout (fake->nft, 300);
	g_assert_false (ncu_nft_set_peer (fake->nft, KEY_A, 51820, &pair, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_TIMEOUT);
	g_assert_nonnull (strstr (error->message, "300 ms"));
	/* Generous bound: a loaded machine, but nowhere near the 30 s sleep. */
	g_assert_cmpint (g_get_monotonic_time () - start, <, 10 * G_USEC_PER_SEC);
}

static void
test_not_found (void)
{
	NcuIceSelectedPair pair = make_pair (NCU_ICE_CANDIDATE_HOST, "10.0.0.1", 1000, "10.0.0.2", 2000);
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuNft) nft = ncu_nft_new ("wg0");

	g_setenv ("NCU_NFT", "/nonexistent/nft", TRUE);
	g_assert_false (ncu_nft_set_peer (nft, KEY_A, 51820, &pair, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_NOT_FOUND);
	g_assert_nonnull (strstr (error->message, "/nonexistent/nft"));
	g_clear_error (&error);
	/* A pair that does not qualify never reaches nft. */
	pair.local_type = NCU_ICE_CANDIDATE_RELAY;
	g_assert_false (ncu_nft_set_peer (nft, KEY_A, 51820, &pair, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	pair.local_type = NCU_ICE_CANDIDATE_HOST;
	g_assert_false (ncu_nft_set_peer (nft, KEY_A, 0, &pair, &error));
	g_assert_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_INVALID_ARGUMENT);
	g_unsetenv ("NCU_NFT");
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/nft/table-name", test_table_name);
	g_test_add_func ("/nft/rules-v4", test_rules_v4);
	g_test_add_func ("/nft/rules-v6", test_rules_v6);
	g_test_add_func ("/nft/table-script", test_table_script);
	g_test_add_func ("/nft/qualifies", test_qualifies);
	g_test_add_func ("/nft/parse", test_parse);
	g_test_add_func ("/nft/not-found", test_not_found);
	g_test_add ("/nft/fake/lifecycle", Fake, NULL, fake_setup, test_fake_lifecycle, fake_teardown);
	g_test_add ("/nft/fake/two-peers", Fake, NULL, fake_setup, test_fake_two_peers, fake_teardown);
	g_test_add ("/nft/fake/rejected", Fake, NULL, fake_setup, test_fake_rejected, fake_teardown);
	g_test_add ("/nft/fake/timeout", Fake, NULL, fake_setup, test_fake_timeout, fake_teardown);
	return g_test_run ();
}
