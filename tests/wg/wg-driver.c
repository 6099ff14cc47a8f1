/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test driver: one NcuWg behind a line protocol, so shell tests can drive
 * the module inside network namespaces.  Commands on stdin, one reply line
 * per command on stdout ("ok ..." or "error <CODE>: <message>"; `dump`
 * answers several lines and "end").  The private key is generated here and
 * never printed; only its public key is.
 *
 *   new <auto|kernel|userspace> <ifname>
 *   genkey                              -> ok <public key, base64>
 *   set-device <listen-port> <fwmark>
 *   set-peer <pub> <psk|-> <endpoint|-> <keepalive> <cidr,cidr|-> [replace] [remove]
 *   set-endpoint <pub> <endpoint>
 *   dump [file]                         -> lines like `wg show <if> dump`
 *                                          (into file if given)
 *   wait-exit <seconds>                 -> ok <message of the exit callback>
 *   close                               -> ncu_wg_close (the device stays)
 *   free | quit
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "ncu-wg.h"

typedef struct {
	GMainLoop *loop;
	NcuWg *wg;
	guint8 private_key[NCU_KEY_LEN];
	char *exit_message;            /* set by the exit callback */
	gboolean waiting_exit;
	guint wait_timeout_id;
} Driver;

static void
reply (const char *fmt, ...) G_GNUC_PRINTF (1, 2);

static void
reply (const char *fmt, ...)
{
	va_list ap;

	va_start (ap, fmt);
	vprintf (fmt, ap);
	va_end (ap);
	putchar ('\n');
	fflush (stdout);
}

static const char *
code_name (const GError *error)
{
	static const char *const names[] = {
		"FAILED", "INVALID_ARGUMENT", "NOT_FOUND", "UNSUPPORTED", "EXISTS",
		"TIMEOUT", "PROTOCOL", "REMOTE", "EXITED", "ADDRESS_IN_USE",
	};

	if (error->domain == NCU_WG_ERROR && error->code >= 0 &&
	    error->code < (int) G_N_ELEMENTS (names))
		return names[error->code];
	return "OTHER";
}

static void
reply_error (const GError *error)
{
	reply ("error %s: %s", code_name (error), error->message);
}

static gboolean
parse_key (const char *text, guint8 key[NCU_KEY_LEN])
{
	gsize len = 0;
	g_autofree guint8 *bin = g_base64_decode (text, &len);

	if (len != NCU_KEY_LEN)
		return FALSE;
	memcpy (key, bin, NCU_KEY_LEN);
	return TRUE;
}

static gboolean
parse_endpoint (const char *text, struct sockaddr_storage *ss)
{
	g_autofree char *host = g_strdup (text);
	char *port = strrchr (host, ':');
	char *end;
	long p;

	memset (ss, 0, sizeof *ss);
	if (!port)
		return FALSE;
	*port++ = '\0';
	p = strtol (port, &end, 10);
	if (*end || p <= 0 || p > 65535)
		return FALSE;
	if (host[0] == '[' && host[strlen (host) - 1] == ']') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;

		host[strlen (host) - 1] = '\0';
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons ((guint16) p);
		return inet_pton (AF_INET6, host + 1, &sin6->sin6_addr) == 1;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *) ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons ((guint16) p);
		return inet_pton (AF_INET, host, &sin->sin_addr) == 1;
	}
}

static GArray *
parse_cidrs (const char *text)
{
	g_autoptr (GArray) ips = g_array_new (FALSE, TRUE, sizeof (NcuCidr));
	g_auto (GStrv) parts = g_strsplit (text, ",", -1);

	for (guint i = 0; parts[i]; i++) {
		NcuCidr c = { 0 };
		char *slash = strchr (parts[i], '/');

		if (!slash)
			return NULL;
		*slash++ = '\0';
		c.family = strchr (parts[i], ':') ? AF_INET6 : AF_INET;
		if (inet_pton (c.family, parts[i], c.addr) != 1)
			return NULL;
		c.prefix = (guint8) atoi (slash);
		g_array_append_val (ips, c);
	}
	return g_steal_pointer (&ips);
}

static char *
cidr_string (const NcuCidr *c)
{
	char host[INET6_ADDRSTRLEN];

	inet_ntop (c->family, c->addr, host, sizeof host);
	return g_strdup_printf ("%s/%u", host, c->prefix);
}

static void
on_exit_cb (NcuWg *wg, const GError *error, gpointer user_data)
{
	Driver *d = user_data;

	g_free (d->exit_message);
	d->exit_message = g_strdup (error->message);
	if (d->waiting_exit) {
		d->waiting_exit = FALSE;
		g_clear_handle_id (&d->wait_timeout_id, g_source_remove);
		reply ("ok %s", d->exit_message);
	}
}

static gboolean
on_wait_timeout (gpointer user_data)
{
	Driver *d = user_data;

	d->wait_timeout_id = 0;
	d->waiting_exit = FALSE;
	reply ("error TIMEOUT: exit callback not called");
	return G_SOURCE_REMOVE;
}

static void
cmd_new (Driver *d, char **argv)
{
	g_autoptr (GError) error = NULL;
	NcuWgBackend backend;

	if (g_strcmp0 (argv[1], "kernel") == 0)
		backend = NCU_WG_BACKEND_KERNEL;
	else if (g_strcmp0 (argv[1], "userspace") == 0)
		backend = NCU_WG_BACKEND_USERSPACE;
	else
		backend = NCU_WG_BACKEND_AUTO;
	g_clear_pointer (&d->wg, ncu_wg_free);
	d->wg = ncu_wg_new (backend, argv[2], &error);
	if (!d->wg) {
		reply_error (error);
		return;
	}
	ncu_wg_set_exit_cb (d->wg, on_exit_cb, d);
	reply ("ok backend=%s ifname=%s ifindex=%d",
	       ncu_wg_get_backend (d->wg) == NCU_WG_BACKEND_KERNEL ? "kernel" : "userspace",
	       ncu_wg_get_ifname (d->wg), ncu_wg_get_ifindex (d->wg));
}

static void
cmd_genkey (Driver *d)
{
	guint8 pub[NCU_KEY_LEN];
	g_autofree char *b64 = NULL;

	randombytes_buf (d->private_key, NCU_KEY_LEN);
	crypto_scalarmult_base (pub, d->private_key);
	b64 = g_base64_encode (pub, NCU_KEY_LEN);
	reply ("ok %s", b64);
}

static void
cmd_set_device (Driver *d, char **argv)
{
	g_autoptr (GError) error = NULL;

	if (ncu_wg_set_device (d->wg, d->private_key, (guint16) atoi (argv[1]),
	                       (guint32) g_ascii_strtoull (argv[2], NULL, 0), &error))
		reply ("ok");
	else
		reply_error (error);
}

static void
cmd_set_peer (Driver *d, char **argv, guint argc)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (GArray) ips = NULL;
	NcuWgPeer peer = { 0 };

	if (argc < 6 || !parse_key (argv[1], peer.public_key)) {
		reply ("error USAGE: set-peer <pub> <psk|-> <endpoint|-> <keepalive> <cidrs|-> [replace] [remove]");
		return;
	}
	peer.has_preshared_key = strcmp (argv[2], "-") != 0;
	if ((peer.has_preshared_key && !parse_key (argv[2], peer.preshared_key)) ||
	    (strcmp (argv[3], "-") != 0 && !parse_endpoint (argv[3], &peer.endpoint)) ||
	    (strcmp (argv[5], "-") != 0 && !(ips = parse_cidrs (argv[5])))) {
		reply ("error USAGE: bad key, endpoint or CIDR");
		return;
	}
	peer.persistent_keepalive = (guint16) atoi (argv[4]);
	peer.allowed_ips = ips;
	for (guint i = 6; i < argc; i++) {
		peer.replace_allowed_ips |= strcmp (argv[i], "replace") == 0;
		peer.remove |= strcmp (argv[i], "remove") == 0;
	}
	if (ncu_wg_set_peer (d->wg, &peer, &error))
		reply ("ok");
	else
		reply_error (error);
	sodium_memzero (peer.preshared_key, sizeof peer.preshared_key);
}

static void
cmd_set_endpoint (Driver *d, char **argv, guint argc)
{
	g_autoptr (GError) error = NULL;
	guint8 pub[NCU_KEY_LEN];
	struct sockaddr_storage ss;

	if (argc < 3 || !parse_key (argv[1], pub) || !parse_endpoint (argv[2], &ss)) {
		reply ("error USAGE: set-endpoint <pub> <endpoint>");
		return;
	}
	if (ncu_wg_set_peer_endpoint (d->wg, pub, (struct sockaddr *) &ss, &error))
		reply ("ok");
	else
		reply_error (error);
}

/* The columns of `wg show <if> dump`, the private key left out. */
static void
print_peer (GString *out, const NcuWgPeerInfo *p)
{
	g_autofree char *pub = g_base64_encode (p->public_key, NCU_KEY_LEN);
	g_autofree char *ep = ncu_wg_sockaddr_to_string ((const struct sockaddr *) &p->endpoint);
	g_autoptr (GPtrArray) ips = g_ptr_array_new_with_free_func (g_free);
	g_autofree char *ka = p->persistent_keepalive
	                      ? g_strdup_printf ("%u", p->persistent_keepalive) : g_strdup ("off");
	g_autofree char *joined = NULL;

	for (guint i = 0; i < p->allowed_ips->len; i++)
		g_ptr_array_add (ips, cidr_string (&g_array_index (p->allowed_ips, NcuCidr, i)));
	g_ptr_array_add (ips, NULL);
	joined = g_strjoinv (",", (char **) ips->pdata);
	g_string_append_printf (out, "%s\t%s\t%s\t%s\t%" G_GINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%" G_GUINT64_FORMAT "\t%s\n",
	                        pub, p->has_preshared_key ? "(hidden)" : "(none)", ep ? ep : "(none)",
	                        *joined ? joined : "(none)", p->last_handshake_sec, p->rx_bytes,
	                        p->tx_bytes, ka);
}

/*
 * Without @path the lines follow "ok" and end with "end"; with @path they go
 * into that file and the reply is just "ok" (a shell reads a file at once,
 * a pipe byte by byte: slow in an emulated guest).
 */
static void
cmd_dump (Driver *d, const char *path)
{
	g_autoptr (GError) error = NULL;
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	g_autoptr (GString) out = g_string_new (NULL);
	g_autofree char *pub = NULL;
	g_autofree char *mark = NULL;

	if (!ncu_wg_get_device (d->wg, &info, &error)) {
		reply_error (error);
		return;
	}
	pub = info->has_public_key ? g_base64_encode (info->public_key, NCU_KEY_LEN)
	                           : g_strdup ("(none)");
	mark = info->fwmark ? g_strdup_printf ("0x%x", info->fwmark) : g_strdup ("off");
	g_string_append_printf (out, "%s\t%u\t%s\n", pub, info->listen_port, mark);
	for (guint i = 0; i < info->peers->len; i++)
		print_peer (out, info->peers->pdata[i]);
	if (!path) {
		printf ("ok\n%s", out->str);
		reply ("end");
	} else if (g_file_set_contents (path, out->str, (gssize) out->len, &error)) {
		reply ("ok");
	} else {
		reply ("error FAILED: %s", error->message);
	}
}

static void
cmd_wait_exit (Driver *d, char **argv)
{
	if (d->exit_message) {
		reply ("ok %s", d->exit_message);
		return;
	}
	d->waiting_exit = TRUE;
	d->wait_timeout_id = g_timeout_add_seconds ((guint) atoi (argv[1]), on_wait_timeout, d);
}

static void
handle_line (Driver *d, char *line)
{
	g_auto (GStrv) argv = g_strsplit_set (g_strstrip (line), " \t", -1);
	guint argc = g_strv_length (argv);
	const char *cmd = argc ? argv[0] : "";

	if (strcmp (cmd, "new") == 0 && argc == 3)
		cmd_new (d, argv);
	else if (strcmp (cmd, "genkey") == 0)
		cmd_genkey (d);
	else if (strcmp (cmd, "quit") == 0)
		g_main_loop_quit (d->loop);
	else if (strcmp (cmd, "free") == 0) {
		g_clear_pointer (&d->wg, ncu_wg_free);
		reply ("ok");
	}
	else if (!d->wg)
		reply ("error USAGE: no device (use new)");
	else if (strcmp (cmd, "set-device") == 0 && argc == 3)
		cmd_set_device (d, argv);
	else if (strcmp (cmd, "set-peer") == 0)
		cmd_set_peer (d, argv, argc);
	else if (strcmp (cmd, "set-endpoint") == 0)
		cmd_set_endpoint (d, argv, argc);
	else if (strcmp (cmd, "dump") == 0 && argc <= 2)
		cmd_dump (d, argv[1]);
	else if (strcmp (cmd, "wait-exit") == 0 && argc == 2)
		cmd_wait_exit (d, argv);
	else if (strcmp (cmd, "close") == 0) {
		ncu_wg_close (d->wg);
		reply ("ok");
	} else
		reply ("error USAGE: unknown command %s", cmd);
}

static gboolean
on_stdin (GIOChannel *channel, GIOCondition cond, gpointer user_data)
{
	Driver *d = user_data;
	g_autofree char *line = NULL;
	GIOStatus status = g_io_channel_read_line (channel, &line, NULL, NULL, NULL);

	if (status == G_IO_STATUS_AGAIN)
		return G_SOURCE_CONTINUE;
	if (status != G_IO_STATUS_NORMAL) {
		g_main_loop_quit (d->loop);
		return G_SOURCE_REMOVE;
	}
	handle_line (d, line);
	return G_SOURCE_CONTINUE;
}

int
main (int argc, char **argv)
{
	Driver d = { 0 };
	GIOChannel *in;

	if (sodium_init () < 0)
		return 1;
	d.loop = g_main_loop_new (NULL, FALSE);
	in = g_io_channel_unix_new (STDIN_FILENO);
	g_io_add_watch (in, G_IO_IN | G_IO_HUP | G_IO_ERR, on_stdin, &d);
	reply ("ready %d", (int) getpid ());
	g_main_loop_run (d.loop);

	g_clear_handle_id (&d.wait_timeout_id, g_source_remove);
	g_clear_pointer (&d.wg, ncu_wg_free);
	sodium_memzero (d.private_key, sizeof d.private_key);
	g_free (d.exit_message);
	g_io_channel_unref (in);
	g_main_loop_unref (d.loop);
	return 0;
}
