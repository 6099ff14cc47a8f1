/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver for the signaling session against a real broker.
 *
 *   signal-driver keygen FILE
 *       writes a new private key (base64) to FILE, prints "<base64> <base64url>"
 *       of its public key
 *   signal-driver seal --key-file F --to KEY [--prefix P] [--session HEX] OUT
 *       seals an offer from F's key to KEY into OUT, prints its topic
 *   signal-driver run --key-file F --url URL [--peer KEY]... [--prefix P]
 *                     [--username U --password-file F] [--ca-file F] [--expiry S]
 *       one NcuSignal; commands on stdin, one per line:
 *         offer N HEX   publish an offer (session HEX) to the N-th --peer
 *         bye N HEX     say bye to the N-th --peer
 *         stats         print a "stats ..." line
 *         check         ncu_signal_check_connection()
 *         quit          free cleanly and exit (so does end of input)
 *       events on stdout: "state connected|disconnected",
 *       "message <peer-base64url> <type> <session> <remote-session> <sequence> <candidates>"
 *
 * Keys on the command line are public; private keys and passwords are
 * read from files.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib-unix.h>
#include <gio/gio.h>
#include <sodium.h>

#include "ncu-parse.h"
#include "ncu-signal.h"

typedef struct {
	NcuSignal *signal;
	GPtrArray *peers;   /* of guint8[32] */
	GMainLoop *loop;
	guint8 own[NCU_KEY_LEN];
} Driver;

static gboolean
read_key_file (const char *path, guint8 key[NCU_KEY_LEN])
{
	g_autofree char *text = NULL;
	gboolean ok;

	if (!g_file_get_contents (path, &text, NULL, NULL))
		return FALSE;
	g_strstrip (text);
	ok = ncu_key_from_base64 (text, key);
	sodium_memzero (text, strlen (text));
	return ok;
}

static int
cmd_keygen (const char *path)
{
	guint8 pk[NCU_KEY_LEN], sk[NCU_KEY_LEN];
	g_autofree char *sk_text = NULL, *pk_text = NULL, *pk_url = NULL;
	g_autoptr (GError) error = NULL;

	crypto_box_keypair (pk, sk);
	sk_text = ncu_key_to_base64 (sk);
	pk_text = ncu_key_to_base64 (pk);
	pk_url = ncu_key_to_base64url (pk);
	if (!g_file_set_contents_full (path, sk_text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error)) {
		g_printerr ("keygen: %s\n", error->message);
		return 1;
	}
	sodium_memzero (sk, sizeof sk);
	sodium_memzero (sk_text, strlen (sk_text));
	g_print ("%s %s\n", pk_text, pk_url);
	return 0;
}

static NcuSignalPayload *
make_offer (guint64 session)
{
	NcuSignalPayload *p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_OFFER);

	p->session_id = session;
	p->ufrag = g_strdup ("Ufr4");
	p->pwd = g_strdup ("ThisIsAnIcePassword22c");
	ncu_signal_payload_add_candidate (p, "a=candidate:1 1 UDP 2015363327 192.0.2.2 46929 typ host");
	p->end_of_candidates = TRUE;
	return p;
}

static int
cmd_seal (const char *key_file, const char *to, const char *prefix, guint64 session,
          const char *out)
{
	guint8 sk[NCU_KEY_LEN], peer[NCU_KEY_LEN];
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignal) signal = NULL;
	g_autoptr (NcuSignalPayload) offer = make_offer (session);
	g_autoptr (GBytes) sealed = NULL;
	g_autofree char *topic = NULL;
	NcuSignalConfig cfg = { .host = "127.0.0.1", .port = 1, .topic_prefix = prefix,
	                        .private_key = sk };

	if (!read_key_file (key_file, sk) || !ncu_key_from_base64 (to, peer)) {
		g_printerr ("seal: bad key\n");
		return 1;
	}
	signal = ncu_signal_new (&cfg, NULL, NULL, &error);
	sodium_memzero (sk, sizeof sk);
	if (!signal || !ncu_signal_add_peer (signal, peer, &error)
	    || !(sealed = ncu_signal_seal (signal, peer, offer, &topic, &error))
	    || !g_file_set_contents (out, g_bytes_get_data (sealed, NULL),
	                             (gssize) g_bytes_get_size (sealed), &error)) {
		g_printerr ("seal: %s\n", error->message);
		return 1;
	}
	g_print ("%s\n", topic);
	return 0;
}

static void
print_stats (Driver *d)
{
	NcuSignalStats s;
	g_autoptr (GString) line = g_string_new ("stats");

	ncu_signal_get_stats (d->signal, &s);
	g_string_append_printf (line, " connected=%d connects=%u failures=%u received=%" G_GUINT64_FORMAT
	                        " delivered=%" G_GUINT64_FORMAT " unchanged=%" G_GUINT64_FORMAT
	                        " cleared=%" G_GUINT64_FORMAT " sent=%" G_GUINT64_FORMAT,
	                        s.connected, s.connects, s.connect_failures, s.received,
	                        s.delivered, s.unchanged, s.cleared, s.sent);
	for (int i = 0; i < NCU_SIGNAL_N_DROPS; i++)
		g_string_append_printf (line, " %s=%" G_GUINT64_FORMAT,
		                        ncu_signal_verdict_to_string (i), s.dropped[i]);
	g_string_append_printf (line, " error=%s", s.last_error ? s.last_error : "none");
	g_print ("%s\n", line->str);
}

static void
on_message (const guint8 peer_key[NCU_KEY_LEN], const NcuSignalPayload *p, gpointer data)
{
	g_autofree char *peer = ncu_key_to_base64url (peer_key);

	g_print ("message %s %s %016" G_GINT64_MODIFIER "x %016" G_GINT64_MODIFIER "x %"
	         G_GUINT64_FORMAT " %u\n", peer, ncu_signal_type_to_string (p->type),
	         p->session_id, p->remote_session_id, p->sequence, p->candidates->len);
}

static void
on_state (gboolean connected, gpointer data)
{
	g_print ("state %s\n", connected ? "connected" : "disconnected");
}

static void
run_command (Driver *d, const char *line)
{
	g_auto (GStrv) argv = g_strsplit (line, " ", 0);
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuSignalPayload) p = NULL;
	guint index;

	if (g_str_equal (argv[0], "stats")) {
		print_stats (d);
		return;
	}
	if (g_str_equal (argv[0], "quit")) {
		g_main_loop_quit (d->loop);
		return;
	}
	if (g_str_equal (argv[0], "check")) {
		ncu_signal_check_connection (d->signal, "asked by the test");
		g_print ("checked\n");
		return;
	}
	if (g_strv_length (argv) != 3 || (index = (guint) atoi (argv[1])) >= d->peers->len) {
		g_print ("error bad command\n");
		return;
	}
	if (g_str_equal (argv[0], "offer")) {
		p = make_offer (g_ascii_strtoull (argv[2], NULL, 16));
	} else if (g_str_equal (argv[0], "bye")) {
		p = ncu_signal_payload_new (NCU_SIGNAL_TYPE_BYE);
		p->session_id = g_ascii_strtoull (argv[2], NULL, 16);
	} else {
		g_print ("error bad command\n");
		return;
	}
	if (!ncu_signal_publish (d->signal, d->peers->pdata[index], p, &error))
		g_print ("error %s\n", error->message);
	else
		g_print ("published %s\n", argv[0]);
}

static gboolean
on_stdin (GIOChannel *channel, GIOCondition condition, gpointer data)
{
	Driver *d = data;
	g_autofree char *line = NULL;
	GIOStatus status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);

	if (status == G_IO_STATUS_AGAIN)
		return G_SOURCE_CONTINUE;
	if (status != G_IO_STATUS_NORMAL) {
		g_main_loop_quit (d->loop);
		return G_SOURCE_REMOVE;
	}
	g_strchomp (line);
	if (*line)
		run_command (d, line);
	return G_SOURCE_CONTINUE;
}

static gboolean
on_signal (gpointer data)
{
	g_main_loop_quit (((Driver *) data)->loop);
	return G_SOURCE_CONTINUE;
}

static int
cmd_run (const char *key_file, const char *url, char **peers, const char *prefix,
         const char *username, const char *password_file, const char *ca_file, int expiry)
{
	static const NcuSignalCallbacks callbacks = { .message = on_message, .state = on_state };
	Driver d = { 0 };
	guint8 sk[NCU_KEY_LEN];
	g_autofree char *host = NULL;
	g_autofree char *password = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GIOChannel) in = NULL;
	NcuSignalConfig cfg = { .topic_prefix = prefix, .private_key = sk, .username = username,
	                        .ca_file = ca_file, .expiry_s = (guint) expiry };

	if (!read_key_file (key_file, sk)
	    || !ncu_parse_mqtt_url ("url", url, &cfg.tls, &host, &cfg.port, &error)) {
		g_printerr ("run: bad key or url%s%s\n", error ? ": " : "", error ? error->message : "");
		return 1;
	}
	if (password_file && !g_file_get_contents (password_file, &password, NULL, &error)) {
		g_printerr ("run: %s\n", error->message);
		return 1;
	}
	if (password)
		g_strchomp (password);
	cfg.host = host;
	cfg.password = password;
	d.signal = ncu_signal_new (&cfg, &callbacks, &d, &error);
	sodium_memzero (sk, sizeof sk);
	if (password)
		sodium_memzero (password, strlen (password));
	if (!d.signal) {
		g_printerr ("run: %s\n", error->message);
		return 1;
	}
	d.peers = g_ptr_array_new_with_free_func (g_free);
	for (guint i = 0; peers && peers[i]; i++) {
		guint8 *key = g_malloc (NCU_KEY_LEN);

		g_ptr_array_add (d.peers, key);
		if (!ncu_key_from_base64 (peers[i], key)
		    || !ncu_signal_add_peer (d.signal, key, &error)) {
			g_printerr ("run: peer %u: %s\n", i, error ? error->message : "bad key");
			return 1;
		}
	}
	d.loop = g_main_loop_new (NULL, FALSE);
	in = g_io_channel_unix_new (0);
	g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &d);
	g_unix_signal_add (SIGTERM, on_signal, &d);
	ncu_signal_start (d.signal);
	g_main_loop_run (d.loop);

	ncu_signal_free (d.signal);
	g_print ("freed\n");
	g_ptr_array_unref (d.peers);
	g_main_loop_unref (d.loop);
	return 0;
}

int
main (int argc, char **argv)
{
	g_autofree char *key_file = NULL, *url = NULL, *prefix = NULL, *to = NULL;
	g_autofree char *username = NULL, *password_file = NULL, *ca_file = NULL, *session = NULL;
	g_auto (GStrv) peers = NULL;
	int expiry = 0;
	GOptionEntry entries[] = {
		{ "key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "private key file", "F" },
		{ "url", 0, 0, G_OPTION_ARG_STRING, &url, "broker URL", "URL" },
		{ "peer", 0, 0, G_OPTION_ARG_STRING_ARRAY, &peers, "peer public key", "KEY" },
		{ "to", 0, 0, G_OPTION_ARG_STRING, &to, "recipient public key", "KEY" },
		{ "prefix", 0, 0, G_OPTION_ARG_STRING, &prefix, "topic prefix", "P" },
		{ "session", 0, 0, G_OPTION_ARG_STRING, &session, "session id (hex)", "HEX" },
		{ "username", 0, 0, G_OPTION_ARG_STRING, &username, "broker user", "U" },
		{ "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "broker password file", "F" },
		{ "ca-file", 0, 0, G_OPTION_ARG_FILENAME, &ca_file, "CA file", "F" },
		{ "expiry", 0, 0, G_OPTION_ARG_INT, &expiry, "offer expiry (s)", "S" },
		{ NULL }
	};
	g_autoptr (GOptionContext) ctx = g_option_context_new ("keygen|seal|run ...");
	g_autoptr (GError) error = NULL;

	setvbuf (stdout, NULL, _IOLBF, 0);
	g_option_context_add_main_entries (ctx, entries, NULL);
	if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc < 2) {
		g_printerr ("%s\n", error ? error->message : "missing command");
		return 2;
	}
	if (sodium_init () < 0)
		return 1;
	if (g_str_equal (argv[1], "keygen") && argc == 3)
		return cmd_keygen (argv[2]);
	if (g_str_equal (argv[1], "seal") && argc == 3 && key_file && to)
		return cmd_seal (key_file, to, prefix, session ? g_ascii_strtoull (session, NULL, 16) : 1,
		                 argv[2]);
	if (g_str_equal (argv[1], "run") && key_file && url)
		return cmd_run (key_file, url, peers, prefix, username, password_file, ca_file, expiry);
	g_printerr ("bad usage\n");
	return 2;
}
