/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nftables fast path of one connection (see ncu-nft.h).
 *
 * Why we run `nft -f -` and do not link libnftables:
 *  - License. Debian 12's nftables 1.0.6 (libnftables1) is GPL-2 only
 *    (/usr/share/doc/libnftables1/copyright: libnftables.c, libnftables.h
 *    and the rest of src/). We are GPL-2.0-or-later; linking would make the
 *    service binary distributable under GPL-2.0-only, taking the "or later"
 *    away from everyone downstream. A separate program fed on stdin couples
 *    no licenses.
 *  - It is what NetworkManager itself does (nm-firewall-utils.c feeds
 *    `nft -f -` on stdin, empty environment, with a timeout), so a system
 *    that runs NetworkManager's own nft features runs ours.
 *  - One script is one atomic transaction: a peer's old rules are deleted
 *    and its new ones added in a single kernel commit, so packets never
 *    see a half-updated table. No build dependency, no ABI to follow.
 *  - Cost: a fork/exec (a few ms) per update, and updates happen only when
 *    a selected pair changes. What we give up: libnftables' persistent
 *    netlink socket would allow a table with `flags owner`, which the
 *    kernel deletes when the process dies; instead a table left by a crash
 *    is deleted by the next connection on the same interface name (the
 *    first transaction recreates it from scratch) and by teardown.
 *
 * The script reaches nft through an anonymous memory file as its stdin
 * (no pipe to write into, so no SIGPIPE and no deadlock on a big script),
 * nft prints the rules it added with their handles (--echo --handle), and
 * we keep the two handles of each peer to delete exactly those rules
 * later. If someone flushed our table meanwhile, a rejected transaction
 * re-reads the table and is retried once without the vanished rules.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <gio/gio.h>

#include "ncu-nft-private.h"
#include "ncu-source.h"

G_DEFINE_QUARK (ncu-nft-error-quark, ncu_nft_error)

/* How much of nft's stderr goes into an error message. */
#define STDERR_MAX 1024

typedef struct {
	guint64 egress_handle;       /* 0: no such rule */
	guint64 ingress_handle;
	guint16 wg_port;
	NcuIceEndpoint remote, local_base;
} NftPeer;

struct _NcuNft {
	char *table;
	guint timeout_ms;
	gboolean created;            /* our table exists, as far as we know */
	GHashTable *peers;           /* base64 public key -> NftPeer* */
};

NcuNft *
ncu_nft_new (const char *ifname)
{
	NcuNft *nft;

	g_return_val_if_fail (ifname && *ifname, NULL);
	nft = g_new0 (NcuNft, 1);
	nft->table = ncu_nft_table_name_for (ifname);
	nft->timeout_ms = NCU_NFT_TIMEOUT_MS;
	nft->peers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
	return nft;
}

const char *
ncu_nft_get_table_name (NcuNft *nft)
{
	return nft->table;
}

void
ncu_nft_set_timeout (NcuNft *nft, guint timeout_ms)
{
	nft->timeout_ms = timeout_ms ? timeout_ms : NCU_NFT_TIMEOUT_MS;
}

/* ---- running nft ---- */

static char *
find_nft (GError **error)
{
	static const char *const fallbacks[] = { "/usr/sbin/nft", "/sbin/nft" };
	const char *override = g_getenv ("NCU_NFT");
	char *path;

	if (override && *override)
		return g_strdup (override);
	/* NetworkManager starts us with a PATH that may lack /usr/sbin. */
	path = g_find_program_in_path ("nft");
	if (path)
		return path;
	for (guint i = 0; i < G_N_ELEMENTS (fallbacks); i++) {
		if (g_file_test (fallbacks[i], G_FILE_TEST_IS_EXECUTABLE))
			return g_strdup (fallbacks[i]);
	}
	g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_NOT_FOUND,
	             "the nft program was not found (install nftables)");
	return NULL;
}

gboolean
ncu_nft_available (GError **error)
{
	g_autofree char *path = find_nft (error);

	return path != NULL;
}

/* An anonymous file holding @script, positioned at its start. */
static int
script_fd (const char *script, GError **error)
{
	gsize len = strlen (script), done = 0;
	int fd = memfd_create ("ncu-nft-script", MFD_CLOEXEC);

	if (fd < 0)
		goto fail;
	while (done < len) {
		ssize_t n = write (fd, script + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		done += n;
	}
	if (lseek (fd, 0, SEEK_SET) == 0)
		return fd;
fail:
	g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_FAILED, "cannot pass the script to nft: %s",
	             g_strerror (errno));
	if (fd >= 0)
		close (fd);
	return -1;
}

typedef struct {
	gboolean done;
	gboolean timed_out;
	GCancellable *cancellable;
	char *out, *err;
	GError *error;
} RunState;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer data)
{
	RunState *state = data;

	g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &state->out, &state->err,
	                                      &state->error);
	state->done = TRUE;
}

static gboolean
on_deadline (gpointer data)
{
	RunState *state = data;

	state->timed_out = TRUE;
	g_cancellable_cancel (state->cancellable);
	return G_SOURCE_REMOVE;
}

static GSubprocess *
spawn_nft (const char *script, GError **error)
{
	g_autofree char *path = find_nft (error);
	g_autoptr (GSubprocessLauncher) launcher = NULL;
	const char *const argv[] = { path, "--handle", "--echo", "-f", "-", NULL };
	const char *const empty_env[] = { NULL };
	GSubprocess *proc;
	int fd;

	if (!path)
		return NULL;
	fd = script_fd (script, error);
	if (fd < 0)
		return NULL;
	launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
	                                      G_SUBPROCESS_FLAGS_STDERR_PIPE);
	g_subprocess_launcher_take_stdin_fd (launcher, fd);
	g_subprocess_launcher_set_environ (launcher, (char **) empty_env);
	proc = g_subprocess_launcher_spawnv (launcher, argv, error);
	if (!proc && error && *error && (*error)->domain == G_SPAWN_ERROR &&
	    (*error)->code == G_SPAWN_ERROR_NOENT) {
		g_clear_error (error);
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_NOT_FOUND, "cannot run %s: no such program",
		             path);
	}
	return proc;
}

static void
set_rejected (GSubprocess *proc, const char *err, GError **error)
{
	g_autofree char *msg = g_strstrip (g_strndup (err ? err : "", STDERR_MAX));
	int status = g_subprocess_get_if_exited (proc) ? g_subprocess_get_exit_status (proc) : -1;

	if (g_subprocess_get_if_signaled (proc))
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_REJECTED, "nft was killed by signal %d%s%s",
		             g_subprocess_get_term_sig (proc), *msg ? ": " : "", msg);
	else
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_REJECTED, "nft failed (exit status %d): %s",
		             status, *msg ? msg : "(no message)");
}

/*
 * Runs one script. Only our private context is iterated meanwhile, so no
 * callback of the caller's main loop runs inside this call.
 */
static gboolean
nft_run (NcuNft *nft, const char *script, char **out, GError **error)
{
	g_autoptr (GMainContext) context = g_main_context_new ();
	g_autoptr (GSubprocess) proc = NULL;
	GSource *deadline = NULL;
	RunState state = { 0 };
	gboolean ok = FALSE;

	g_debug ("nft: running for table %s:\n%s", nft->table, script);
	g_main_context_push_thread_default (context);
	proc = spawn_nft (script, error);
	if (!proc)
		goto out;
	state.cancellable = g_cancellable_new ();
	g_subprocess_communicate_utf8_async (proc, NULL, state.cancellable, on_communicated, &state);
	deadline = ncu_source_timeout (context, nft->timeout_ms, "ncu-nft deadline", on_deadline,
	                               &state);
	while (!state.done)
		g_main_context_iteration (context, TRUE);
	ncu_source_clear (&deadline);

	if (state.timed_out) {
		/* GLib reaps the killed child in its worker thread. */
		g_subprocess_force_exit (proc);
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_TIMEOUT,
		             "nft did not finish within %u ms and was killed", nft->timeout_ms);
	} else if (state.error) {
		g_subprocess_force_exit (proc);
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_FAILED, "talking to nft failed: %s",
		             state.error->message);
	} else if (!g_subprocess_get_successful (proc)) {
		set_rejected (proc, state.err, error);
	} else {
		ok = TRUE;
		if (out)
			*out = g_steal_pointer (&state.out);
	}
out:
	g_main_context_pop_thread_default (context);
	/* Dispatch what the cancellation may have queued before dropping it. */
	while (g_main_context_iteration (context, FALSE))
		;
	g_clear_object (&state.cancellable);
	g_clear_error (&state.error);
	g_free (state.out);
	g_free (state.err);
	return ok;
}

/* ---- peers and transactions ---- */

static gboolean
endpoint_equal (const NcuIceEndpoint *a, const NcuIceEndpoint *b)
{
	gsize len = a->family == AF_INET6 ? 16 : 4;

	return a->family == b->family && a->port == b->port && memcmp (a->addr, b->addr, len) == 0;
}

static NftPeer *
lookup_peer (NcuNft *nft, const guint8 key[NCU_KEY_LEN])
{
	g_autofree char *b64 = g_base64_encode (key, NCU_KEY_LEN);

	return g_hash_table_lookup (nft->peers, b64);
}

static void
drop_peer_if_empty (NcuNft *nft, const guint8 key[NCU_KEY_LEN])
{
	g_autofree char *b64 = g_base64_encode (key, NCU_KEY_LEN);
	NftPeer *peer = g_hash_table_lookup (nft->peers, b64);

	if (peer && !peer->egress_handle && !peer->ingress_handle)
		g_hash_table_remove (nft->peers, b64);
}

/* Handle of @key's rule in @direction in @rules, 0 when absent. */
static guint64
handle_in (GArray *rules, const guint8 key[NCU_KEY_LEN], NcuNftDirection direction)
{
	g_autofree char *comment = ncu_nft_rule_comment (key, direction);
	const NcuNftRuleInfo *info = ncu_nft_find_rule (rules, comment);

	return info ? info->handle : 0;
}

/* Lists our table: NULL (and created = FALSE) when it is gone. */
static GArray *
list_rules (NcuNft *nft, GError **error)
{
	g_autofree char *script = g_strdup_printf ("list table inet %s\n", nft->table);
	g_autofree char *out = NULL;

	if (!nft_run (nft, script, &out, error))
		return NULL;
	return ncu_nft_parse_rules (out);
}

/*
 * After a rejected transaction: re-read which of our rules still exist.
 * TRUE when our picture was wrong (then a retry may succeed).
 */
static gboolean
resync (NcuNft *nft)
{
	g_autoptr (GArray) rules = list_rules (nft, NULL);
	gboolean changed = FALSE;
	GHashTableIter iter;
	gpointer key_b64, value;

	if (!rules) {
		g_message ("nft: table %s is gone; recreating it", nft->table);
		nft->created = FALSE;
		g_hash_table_remove_all (nft->peers);
		return TRUE;
	}
	g_hash_table_iter_init (&iter, nft->peers);
	while (g_hash_table_iter_next (&iter, &key_b64, &value)) {
		NftPeer *peer = value;
		gsize len = 0;
		g_autofree guint8 *key = g_base64_decode (key_b64, &len);
		guint64 egress = handle_in (rules, key, NCU_NFT_EGRESS);
		guint64 ingress = handle_in (rules, key, NCU_NFT_INGRESS);

		if (egress != peer->egress_handle || ingress != peer->ingress_handle)
			changed = TRUE;
		peer->egress_handle = egress;
		peer->ingress_handle = ingress;
	}
	return changed;
}

typedef void (*ScriptFunc) (NcuNft *nft, GString *script, gconstpointer data);

/* Builds and runs a script; on rejection resyncs and retries once. An
 * empty script means nothing to do. */
static gboolean
transact (NcuNft *nft, ScriptFunc build, gconstpointer data, char **out, GError **error)
{
	for (guint attempt = 0;; attempt++) {
		g_autoptr (GString) script = g_string_new (NULL);
		g_autoptr (GError) local = NULL;

		build (nft, script, data);
		if (script->len == 0)
			return TRUE;
		if (nft_run (nft, script->str, out, &local))
			return TRUE;
		if (attempt > 0 || !nft->created ||
		    !g_error_matches (local, NCU_NFT_ERROR, NCU_NFT_ERROR_REJECTED) || !resync (nft)) {
			g_propagate_prefixed_error (error, g_steal_pointer (&local), "table %s: ",
			                            nft->table);
			return FALSE;
		}
	}
}

static void
append_delete_peer (NcuNft *nft, GString *script, const NftPeer *peer, gboolean egress)
{
	if (peer && peer->ingress_handle)
		ncu_nft_append_delete_rule (script, nft->table, NCU_NFT_INGRESS, peer->ingress_handle);
	if (peer && egress && peer->egress_handle)
		ncu_nft_append_delete_rule (script, nft->table, NCU_NFT_EGRESS, peer->egress_handle);
}

typedef struct {
	const guint8 *key;
	guint16 wg_port;
	const NcuIceSelectedPair *pair;
} SetPeerArgs;

static void
build_set_peer (NcuNft *nft, GString *script, gconstpointer data)
{
	const SetPeerArgs *args = data;

	ncu_nft_append_table (script, nft->table, !nft->created);
	append_delete_peer (nft, script, lookup_peer (nft, args->key), TRUE);
	ncu_nft_append_peer_rules (script, nft->table, args->key, args->wg_port, args->pair);
}

static void
build_remove_ingress (NcuNft *nft, GString *script, gconstpointer key)
{
	if (nft->created)
		append_delete_peer (nft, script, lookup_peer (nft, key), FALSE);
}

static void
build_remove_peer (NcuNft *nft, GString *script, gconstpointer key)
{
	if (nft->created)
		append_delete_peer (nft, script, lookup_peer (nft, key), TRUE);
}

gboolean
ncu_nft_pair_qualifies (const NcuIceSelectedPair *pair, const char **why)
{
	const char *reason = NULL;

	if (!pair)
		reason = "no selected pair";
	else if (pair->local_type == NCU_ICE_CANDIDATE_RELAY)
		reason = "our candidate is relayed (TURN): only the proxy can send through it";
	else if (pair->local_type == NCU_ICE_CANDIDATE_PRFLX && !pair->local_base_is_host)
		reason = "our candidate is peer-reflexive and its base is no host socket of ours";
	else if (pair->local_base.family != AF_INET && pair->local_base.family != AF_INET6)
		reason = "unknown address family";
	else if (pair->remote.family != pair->local_base.family)
		reason = "the pair mixes address families";
	else if (!pair->local_base.port || !pair->remote.port)
		reason = "a port of the pair is 0";
	if (why)
		*why = reason;
	return reason == NULL;
}

gboolean
ncu_nft_set_peer (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], guint16 wg_port,
                  const NcuIceSelectedPair *pair, GError **error)
{
	const SetPeerArgs args = { peer_key, wg_port, pair };
	NftPeer *peer = lookup_peer (nft, peer_key);
	g_autofree char *out = NULL;
	g_autoptr (GArray) rules = NULL;
	const char *why = NULL;

	if (!ncu_nft_pair_qualifies (pair, &why) || wg_port == 0) {
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_INVALID_ARGUMENT,
		             "fast path not possible: %s", why ? why : "WireGuard listen port is 0");
		return FALSE;
	}
	if (peer && peer->egress_handle && peer->ingress_handle && peer->wg_port == wg_port &&
	    endpoint_equal (&peer->remote, &pair->remote) &&
	    endpoint_equal (&peer->local_base, &pair->local_base))
		return TRUE;
	if (!transact (nft, build_set_peer, &args, &out, error))
		return FALSE;
	nft->created = TRUE;
	/* The old rules are gone with the transaction; from here on only the
	 * new ones are ours. (A resync inside may have dropped the entry.) */
	peer = lookup_peer (nft, peer_key);
	if (!peer) {
		peer = g_new0 (NftPeer, 1);
		g_hash_table_insert (nft->peers, g_base64_encode (peer_key, NCU_KEY_LEN), peer);
	}
	peer->wg_port = wg_port;
	peer->remote = pair->remote;
	peer->local_base = pair->local_base;
	rules = ncu_nft_parse_rules (out);
	peer->egress_handle = handle_in (rules, peer_key, NCU_NFT_EGRESS);
	peer->ingress_handle = handle_in (rules, peer_key, NCU_NFT_INGRESS);
	if (!peer->egress_handle || !peer->ingress_handle) {
		/* Installed, but nft did not echo the handles: read them back. */
		g_clear_pointer (&rules, g_array_unref);
		rules = list_rules (nft, error);
		if (!rules)
			return FALSE;
		peer->egress_handle = handle_in (rules, peer_key, NCU_NFT_EGRESS);
		peer->ingress_handle = handle_in (rules, peer_key, NCU_NFT_INGRESS);
		if (!peer->egress_handle || !peer->ingress_handle) {
			g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_PROTOCOL,
			             "table %s: the new rules are not in nft's listing", nft->table);
			return FALSE;
		}
	}
	return TRUE;
}

gboolean
ncu_nft_remove_ingress (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], GError **error)
{
	NftPeer *peer;

	if (!transact (nft, build_remove_ingress, peer_key, NULL, error))
		return FALSE;
	peer = lookup_peer (nft, peer_key);
	if (peer)
		peer->ingress_handle = 0;
	drop_peer_if_empty (nft, peer_key);
	return TRUE;
}

gboolean
ncu_nft_remove_peer (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], GError **error)
{
	g_autofree char *b64 = g_base64_encode (peer_key, NCU_KEY_LEN);

	if (!transact (nft, build_remove_peer, peer_key, NULL, error))
		return FALSE;
	g_hash_table_remove (nft->peers, b64);
	return TRUE;
}

gboolean
ncu_nft_has_peer (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN])
{
	return lookup_peer (nft, peer_key) != NULL;
}

gboolean
ncu_nft_get_counters (NcuNft *nft, const guint8 peer_key[NCU_KEY_LEN], NcuNftCounters *counters,
                      GError **error)
{
	g_autofree char *egress_comment = ncu_nft_rule_comment (peer_key, NCU_NFT_EGRESS);
	g_autofree char *ingress_comment = ncu_nft_rule_comment (peer_key, NCU_NFT_INGRESS);
	g_autoptr (GArray) rules = NULL;
	const NcuNftRuleInfo *egress, *ingress;

	memset (counters, 0, sizeof *counters);
	if (!nft->created || !lookup_peer (nft, peer_key)) {
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_NO_PEER,
		             "table %s has no rules for this peer", nft->table);
		return FALSE;
	}
	/* Status calls come here for every peer: a netlink dump, not an nft
	 * run (see ncu-nft-netlink.c). */
	rules = ncu_nft_netlink_list_rules (nft->table, error);
	if (!rules)
		return FALSE;
	egress = ncu_nft_find_rule (rules, egress_comment);
	ingress = ncu_nft_find_rule (rules, ingress_comment);
	if (!egress && !ingress) {
		g_set_error (error, NCU_NFT_ERROR, NCU_NFT_ERROR_NO_PEER,
		             "the peer's rules are gone from table %s (flushed by someone else?)",
		             nft->table);
		return FALSE;
	}
	if (egress) {
		counters->egress_packets = egress->packets;
		counters->egress_bytes = egress->bytes;
	}
	if (ingress) {
		counters->has_ingress = TRUE;
		counters->ingress_packets = ingress->packets;
		counters->ingress_bytes = ingress->bytes;
	}
	return TRUE;
}

static void
build_delete_table (NcuNft *nft, GString *script, gconstpointer data)
{
	ncu_nft_append_delete_table (script, nft->table);
}

gboolean
ncu_nft_delete_table (NcuNft *nft, GError **error)
{
	if (!transact (nft, build_delete_table, NULL, NULL, error))
		return FALSE;
	nft->created = FALSE;
	g_hash_table_remove_all (nft->peers);
	return TRUE;
}

void
ncu_nft_free (NcuNft *nft)
{
	g_autoptr (GError) error = NULL;

	if (!nft)
		return;
	if (nft->created && !ncu_nft_delete_table (nft, &error))
		g_warning ("nft: cannot delete table %s: %s", nft->table, error->message);
	g_hash_table_unref (nft->peers);
	g_free (nft->table);
	g_free (nft);
}
