/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ncu-stun-probe: a tiny STUN/TURN client for the network test bed.
 *
 *   ncu-stun-probe [-p PORT] [-t MS] binding SERVER [SERVER...]
 *   ncu-stun-probe [-p PORT] [-t MS] allocate SERVER USER:PASSWORD
 *
 * SERVER is IPv4:PORT. Every request leaves from ONE UDP socket (bound to
 * PORT, or an ephemeral port), so the mapped addresses the servers report
 * show how the NAT in front of us maps one local port towards several
 * destinations: the same external port (endpoint-independent mapping, a
 * "cone" NAT) or a different one per destination (a symmetric NAT).
 *
 * `binding` prints one line per server:
 *   binding 203.0.113.1:3478 local 0.0.0.0:40000 mapped 203.0.113.10:40000
 * `allocate` performs a TURN Allocate (RFC 5766) with the long-term
 * credential mechanism (RFC 5389 section 10.2; the password follows the
 * last colon of USER:PASSWORD, so the user may hold colons), prints
 *   allocate 203.0.113.1:3478 local ... mapped ... relayed 203.0.113.1:50000 lifetime 600
 * and then releases the allocation again (Refresh with LIFETIME 0).
 *
 * The credential is a throw-away test-bed credential (coturn gets the same
 * one on its command line), so taking it from argv is fine here.
 * Exit status: 0 on success, 1 on any error (reason on stderr).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gio.h>

#define STUN_MAGIC          0x2112A442u
#define STUN_HEADER_LEN     20
#define STUN_MAX_LEN        1280

/* message types (RFC 5389, RFC 5766) */
#define STUN_BINDING        0x0001
#define TURN_ALLOCATE       0x0003
#define TURN_REFRESH        0x0004
#define STUN_SUCCESS_BIT    0x0100
#define STUN_ERROR_BIT      0x0110

/* attributes */
#define ATTR_MAPPED_ADDRESS      0x0001
#define ATTR_USERNAME            0x0006
#define ATTR_MESSAGE_INTEGRITY   0x0008
#define ATTR_ERROR_CODE          0x0009
#define ATTR_LIFETIME            0x000D
#define ATTR_XOR_RELAYED_ADDRESS 0x0016
#define ATTR_REALM               0x0014
#define ATTR_NONCE               0x0015
#define ATTR_REQUESTED_TRANSPORT 0x0019
#define ATTR_XOR_MAPPED_ADDRESS  0x0020

/* Retransmissions start fast (everything is on one machine) and back off. */
#define RETRANSMIT_FIRST_MS 50
#define RETRANSMIT_MAX_MS   400

typedef struct {
	guint8 buf[STUN_MAX_LEN];
	gsize len;
} StunMsg;

/* A received response, checked for header sanity and our transaction id. */
typedef struct {
	guint8 buf[STUN_MAX_LEN];
	gsize len;
	guint16 type;
} StunReply;

/* Long-term credential state for TURN requests. */
typedef struct {
	const char *user;
	char *realm;
	char *nonce;
	guint8 key[16];   /* MD5(user:realm:password) */
} TurnAuth;

static guint16
get16 (const guint8 *p)
{
	return (guint16) ((p[0] << 8) | p[1]);
}

static guint32
get32 (const guint8 *p)
{
	return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

static void
put16 (guint8 *p, guint16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32 (guint8 *p, guint32 v)
{
	put16 (p, v >> 16);
	put16 (p + 2, v & 0xffff);
}

static void
stun_msg_init (StunMsg *msg, guint16 type, const guint8 tid[12])
{
	memset (msg, 0, sizeof *msg);
	put16 (msg->buf, type);
	put16 (msg->buf + 2, 0);
	put32 (msg->buf + 4, STUN_MAGIC);
	memcpy (msg->buf + 8, tid, 12);
	msg->len = STUN_HEADER_LEN;
}

static void
stun_msg_add (StunMsg *msg, guint16 type, const void *data, gsize len)
{
	gsize padded = (len + 3) & ~(gsize) 3;

	g_assert (msg->len + 4 + padded <= sizeof msg->buf);
	put16 (msg->buf + msg->len, type);
	put16 (msg->buf + msg->len + 2, (guint16) len);
	memcpy (msg->buf + msg->len + 4, data, len);
	msg->len += 4 + padded;
	put16 (msg->buf + 2, (guint16) (msg->len - STUN_HEADER_LEN));
}

/* MESSAGE-INTEGRITY: HMAC-SHA1 over the message with the length field
 * already counting the integrity attribute itself (RFC 5389 15.4). */
static void
stun_msg_add_integrity (StunMsg *msg, const guint8 *key, gsize key_len)
{
	g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA1, key, key_len);
	guint8 digest[20];
	gsize digest_len = sizeof digest;

	put16 (msg->buf + 2, (guint16) (msg->len - STUN_HEADER_LEN + 24));
	g_hmac_update (hmac, msg->buf, msg->len);
	g_hmac_get_digest (hmac, digest, &digest_len);
	stun_msg_add (msg, ATTR_MESSAGE_INTEGRITY, digest, sizeof digest);
}

/* Returns the value of the first attribute of @type, or NULL. */
static const guint8 *
stun_find (const StunReply *reply, guint16 type, gsize *len_out)
{
	gsize off = STUN_HEADER_LEN;

	while (off + 4 <= reply->len) {
		guint16 atype = get16 (reply->buf + off);
		gsize alen = get16 (reply->buf + off + 2);

		if (off + 4 + alen > reply->len)
			return NULL;
		if (atype == type) {
			*len_out = alen;
			return reply->buf + off + 4;
		}
		off += 4 + ((alen + 3) & ~(gsize) 3);
	}
	return NULL;
}

/* Decodes an (XOR-)MAPPED-ADDRESS style attribute (IPv4 only) into "a.b.c.d:port". */
static char *
stun_address (const StunReply *reply, guint16 type, gboolean xored)
{
	const guint8 *v;
	gsize len = 0;
	guint32 addr;
	guint16 port;
	struct in_addr in;
	char text[INET_ADDRSTRLEN];

	v = stun_find (reply, type, &len);
	if (!v || len < 8 || v[1] != 0x01)
		return NULL;
	port = get16 (v + 2);
	addr = get32 (v + 4);
	if (xored) {
		port ^= STUN_MAGIC >> 16;
		addr ^= STUN_MAGIC;
	}
	in.s_addr = htonl (addr);
	inet_ntop (AF_INET, &in, text, sizeof text);
	return g_strdup_printf ("%s:%u", text, port);
}

static char *
stun_mapped (const StunReply *reply)
{
	char *addr = stun_address (reply, ATTR_XOR_MAPPED_ADDRESS, TRUE);

	return addr ? addr : stun_address (reply, ATTR_MAPPED_ADDRESS, FALSE);
}

static char *
stun_string (const StunReply *reply, guint16 type)
{
	gsize len = 0;
	const guint8 *v = stun_find (reply, type, &len);

	return v ? g_strndup ((const char *) v, len) : NULL;
}

static int
stun_error_code (const StunReply *reply)
{
	gsize len = 0;
	const guint8 *v = stun_find (reply, ATTR_ERROR_CODE, &len);

	if (!v || len < 4)
		return 0;
	return (v[2] & 0x7) * 100 + v[3];
}

static gboolean
parse_server (const char *text, struct sockaddr_in *sa, GError **error)
{
	g_autofree char *host = NULL;
	const char *colon = strrchr (text, ':');
	guint64 port = 0;

	memset (sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	if (colon)
		host = g_strndup (text, colon - text);
	if (!colon || inet_pton (AF_INET, host, &sa->sin_addr) != 1
	    || !g_ascii_string_to_unsigned (colon + 1, 10, 1, 65535, &port, NULL)) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "server '%s': expected IPv4:PORT", text);
		return FALSE;
	}
	sa->sin_port = htons ((guint16) port);
	return TRUE;
}

static int
open_socket (guint16 local_port, char **local_text, GError **error)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sa_len = sizeof sa;
	int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
		             "socket: %s", g_strerror (errno));
		return -1;
	}
	sa.sin_port = htons (local_port);
	if (bind (fd, (struct sockaddr *) &sa, sizeof sa) < 0
	    || getsockname (fd, (struct sockaddr *) &sa, &sa_len) < 0) {
		g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
		             "bind to UDP port %u: %s", local_port, g_strerror (errno));
		close (fd);
		return -1;
	}
	*local_text = g_strdup_printf ("0.0.0.0:%u", ntohs (sa.sin_port));
	return fd;
}

/* Waits up to @ms for a datagram from @server carrying our transaction id. */
static gboolean
receive_reply (int fd, const struct sockaddr_in *server, const guint8 tid[12],
               int ms, StunReply *reply)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

	for (;;) {
		struct sockaddr_in from;
		socklen_t from_len = sizeof from;
		gint64 left = (deadline - g_get_monotonic_time ()) / 1000;
		ssize_t n;

		if (left <= 0 || poll (&pfd, 1, (int) left) <= 0)
			return FALSE;
		n = recvfrom (fd, reply->buf, sizeof reply->buf, 0, (struct sockaddr *) &from, &from_len);
		/* ignore strays: other senders, short or foreign datagrams, old transactions */
		if (n < STUN_HEADER_LEN || from.sin_addr.s_addr != server->sin_addr.s_addr
		    || from.sin_port != server->sin_port)
			continue;
		if (get32 (reply->buf + 4) != STUN_MAGIC || memcmp (reply->buf + 8, tid, 12) != 0)
			continue;
		if (STUN_HEADER_LEN + (gsize) get16 (reply->buf + 2) > (gsize) n)
			continue;
		reply->len = n;
		reply->type = get16 (reply->buf);
		return TRUE;
	}
}

/* Sends @msg and retransmits (50 ms, doubling up to 400 ms) until a reply
 * arrives or @timeout_ms passes. */
static gboolean
transact (int fd, const struct sockaddr_in *server, const StunMsg *msg, int timeout_ms,
          StunReply *reply, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
	int wait_ms = RETRANSMIT_FIRST_MS;

	while (g_get_monotonic_time () < deadline) {
		if (sendto (fd, msg->buf, msg->len, 0, (const struct sockaddr *) server, sizeof *server) < 0
		    && errno != EINTR && errno != ECONNREFUSED) {
			g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
			             "send: %s", g_strerror (errno));
			return FALSE;
		}
		if (receive_reply (fd, server, msg->buf + 8, wait_ms, reply))
			return TRUE;
		wait_ms = MIN (wait_ms * 2, RETRANSMIT_MAX_MS);
	}
	g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
	             "no reply within %d ms", timeout_ms);
	return FALSE;
}

static void
new_tid (guint8 tid[12])
{
	for (int i = 0; i < 12; i++)
		tid[i] = (guint8) g_random_int_range (0, 256);
}

static gboolean
do_binding (int fd, const char *local, char **servers, int timeout_ms, GError **error)
{
	for (char **s = servers; *s; s++) {
		struct sockaddr_in server;
		g_autofree char *mapped = NULL;
		StunReply reply;
		StunMsg msg;
		guint8 tid[12];

		if (!parse_server (*s, &server, error))
			return FALSE;
		new_tid (tid);
		stun_msg_init (&msg, STUN_BINDING, tid);
		if (!transact (fd, &server, &msg, timeout_ms, &reply, error)) {
			g_prefix_error (error, "binding to %s: ", *s);
			return FALSE;
		}
		mapped = stun_mapped (&reply);
		if (reply.type != (STUN_BINDING | STUN_SUCCESS_BIT) || !mapped) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
			             "binding to %s: unexpected reply type 0x%04x", *s, reply.type);
			return FALSE;
		}
		printf ("binding %s local %s mapped %s\n", *s, local, mapped);
		fflush (stdout);
	}
	return TRUE;
}

static void
turn_auth_clear (TurnAuth *auth)
{
	g_clear_pointer (&auth->realm, g_free);
	g_clear_pointer (&auth->nonce, g_free);
	memset (auth->key, 0, sizeof auth->key);
}

/* Takes REALM and NONCE from a 401/438 error reply and derives the key. */
static gboolean
turn_auth_update (TurnAuth *auth, const char *password, const StunReply *reply, GError **error)
{
	g_autoptr(GChecksum) md5 = g_checksum_new (G_CHECKSUM_MD5);
	g_autofree char *realm = stun_string (reply, ATTR_REALM);
	g_autofree char *nonce = stun_string (reply, ATTR_NONCE);
	gsize key_len = sizeof auth->key;

	if (!realm || !nonce) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "error %d without REALM/NONCE", stun_error_code (reply));
		return FALSE;
	}
	turn_auth_clear (auth);
	auth->realm = g_steal_pointer (&realm);
	auth->nonce = g_steal_pointer (&nonce);
	g_checksum_update (md5, (const guchar *) auth->user, -1);
	g_checksum_update (md5, (const guchar *) ":", 1);
	g_checksum_update (md5, (const guchar *) auth->realm, -1);
	g_checksum_update (md5, (const guchar *) ":", 1);
	g_checksum_update (md5, (const guchar *) password, -1);
	g_checksum_get_digest (md5, auth->key, &key_len);
	return TRUE;
}

/* Builds an Allocate (lifetime < 0) or Refresh (lifetime >= 0) request,
 * authenticated when @auth has a nonce. */
static void
turn_request (StunMsg *msg, const TurnAuth *auth, int lifetime)
{
	guint8 tid[12];

	new_tid (tid);
	stun_msg_init (msg, lifetime < 0 ? TURN_ALLOCATE : TURN_REFRESH, tid);
	if (lifetime < 0) {
		const guint8 transport[4] = { 17, 0, 0, 0 };   /* UDP */
		stun_msg_add (msg, ATTR_REQUESTED_TRANSPORT, transport, sizeof transport);
	} else {
		guint8 value[4];
		put32 (value, (guint32) lifetime);
		stun_msg_add (msg, ATTR_LIFETIME, value, sizeof value);
	}
	if (!auth->nonce)
		return;
	stun_msg_add (msg, ATTR_USERNAME, auth->user, strlen (auth->user));
	stun_msg_add (msg, ATTR_REALM, auth->realm, strlen (auth->realm));
	stun_msg_add (msg, ATTR_NONCE, auth->nonce, strlen (auth->nonce));
	stun_msg_add_integrity (msg, auth->key, sizeof auth->key);
}

/* One authenticated TURN transaction: on 401 (no credentials yet) or 438
 * (stale nonce) take the server's realm/nonce and try once more. */
static gboolean
turn_transact (int fd, const struct sockaddr_in *server, TurnAuth *auth, const char *password,
               int lifetime, int timeout_ms, StunReply *reply, GError **error)
{
	for (int attempt = 0; attempt < 3; attempt++) {
		StunMsg msg;
		int code;

		turn_request (&msg, auth, lifetime);
		if (!transact (fd, server, &msg, timeout_ms, reply, error))
			return FALSE;
		if ((reply->type & STUN_ERROR_BIT) != STUN_ERROR_BIT)
			return TRUE;
		code = stun_error_code (reply);
		if (code != 401 && code != 438)
			break;
		if (code == 401 && auth->nonce && attempt > 0) {
			g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
			             "credentials rejected (401)");
			return FALSE;
		}
		if (!turn_auth_update (auth, password, reply, error))
			return FALSE;
	}
	{
		g_autofree char *reason = NULL;
		gsize len = 0;
		const guint8 *v = stun_find (reply, ATTR_ERROR_CODE, &len);

		if (v && len > 4)
			reason = g_strndup ((const char *) v + 4, len - 4);
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "error %d %s",
		             stun_error_code (reply), reason ? reason : "");
	}
	return FALSE;
}

static gboolean
do_allocate (int fd, const char *local, const char *server_text, const char *credential,
             int timeout_ms, GError **error)
{
	g_autofree char *user = NULL;
	g_autofree char *mapped = NULL;
	g_autofree char *relayed = NULL;
	/* The last colon: TURN REST API user names ("<expiry>:<user>") hold
	 * colons, base64 passwords do not. */
	const char *colon = strrchr (credential, ':');
	TurnAuth auth = { 0 };
	struct sockaddr_in server;
	StunReply reply;
	guint32 lifetime = 0;
	const guint8 *v;
	gsize len = 0;
	gboolean ok = FALSE;

	if (!colon || colon == credential) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		             "credential: expected USER:PASSWORD");
		return FALSE;
	}
	if (!parse_server (server_text, &server, error))
		return FALSE;
	user = g_strndup (credential, colon - credential);
	auth.user = user;

	if (!turn_transact (fd, &server, &auth, colon + 1, -1, timeout_ms, &reply, error)) {
		g_prefix_error (error, "allocate at %s: ", server_text);
		goto out;
	}
	relayed = stun_address (&reply, ATTR_XOR_RELAYED_ADDRESS, TRUE);
	mapped = stun_mapped (&reply);
	v = stun_find (&reply, ATTR_LIFETIME, &len);
	if (v && len == 4)
		lifetime = get32 (v);
	if (reply.type != (TURN_ALLOCATE | STUN_SUCCESS_BIT) || !relayed) {
		g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
		             "allocate at %s: reply 0x%04x without XOR-RELAYED-ADDRESS",
		             server_text, reply.type);
		goto out;
	}
	printf ("allocate %s local %s mapped %s relayed %s lifetime %u\n",
	        server_text, local, mapped ? mapped : "-", relayed, lifetime);
	fflush (stdout);

	/* release the allocation so the server holds nothing of ours */
	if (!turn_transact (fd, &server, &auth, colon + 1, 0, timeout_ms, &reply, error)) {
		g_prefix_error (error, "release at %s: ", server_text);
		goto out;
	}
	ok = TRUE;
out:
	turn_auth_clear (&auth);
	return ok;
}

int
main (int argc, char **argv)
{
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *local = NULL;
	int local_port = 0;
	int timeout_ms = 3000;
	gboolean ok;
	int fd;
	const GOptionEntry entries[] = {
		{ "port", 'p', 0, G_OPTION_ARG_INT, &local_port, "Local UDP port (default: ephemeral)", "PORT" },
		{ "timeout", 't', 0, G_OPTION_ARG_INT, &timeout_ms, "Timeout per transaction in ms (default 3000)", "MS" },
		{ NULL }
	};

	context = g_option_context_new ("binding SERVER... | allocate SERVER USER:PASSWORD");
	g_option_context_set_summary (context, "Send STUN Binding or TURN Allocate requests from one UDP socket.");
	g_option_context_add_main_entries (context, entries, NULL);
	if (!g_option_context_parse (context, &argc, &argv, &error)) {
		fprintf (stderr, "ncu-stun-probe: %s\n", error->message);
		return 1;
	}
	if (argc < 3 || local_port < 0 || local_port > 65535 || timeout_ms <= 0
	    || (g_str_equal (argv[1], "allocate") && argc != 4)
	    || (!g_str_equal (argv[1], "allocate") && !g_str_equal (argv[1], "binding"))) {
		fprintf (stderr, "usage: ncu-stun-probe [-p PORT] [-t MS] "
		         "binding SERVER... | allocate SERVER USER:PASSWORD\n");
		return 1;
	}

	fd = open_socket ((guint16) local_port, &local, &error);
	if (fd < 0) {
		fprintf (stderr, "ncu-stun-probe: %s\n", error->message);
		return 1;
	}
	if (g_str_equal (argv[1], "binding"))
		ok = do_binding (fd, local, argv + 2, timeout_ms, &error);
	else
		ok = do_allocate (fd, local, argv[2], argv[3], timeout_ms, &error);
	close (fd);
	if (!ok) {
		fprintf (stderr, "ncu-stun-probe: %s\n", error->message);
		return 1;
	}
	return 0;
}
