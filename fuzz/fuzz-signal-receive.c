/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole signaling receive pipeline, ncu_signal_receive(): topic check,
 * envelope peek and open, payload decode, recipient, age and replay rules,
 * counters. An NcuSignal with fixed keys and two peers, never started (no
 * broker), a fixed clock; a fresh one for every input so that a finding
 * replays from its input alone.
 *
 * Input: up to MAX_RECORDS messages separated by "\n%%\n", each
 *
 *   <control byte><topic>\n<data>
 *
 * control bits 0-1 pick the sender: 0 peer A, 1 peer B, 2 a key that is
 * not a peer, 3 ourselves. Bit 2 set: <data> is a plaintext payload that
 * the harness seals with that sender's key for us (so the fuzzer reaches
 * the decoder and the replay rules past the MAC); clear: <data> is the raw
 * envelope. An empty <topic> stands for the sender's real topic
 * "<prefix>/v1/<us>/<sender>"; anything else is used as it is.
 */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "fuzz-util.h"
#include "ncu-signal.h"
#include "ncu-signal-envelope.h"

#define MAX_RECORDS 16

enum {
	SENDER_A = NCU_FUZZ_KEY_PEER_A,
	SENDER_B = NCU_FUZZ_KEY_PEER_B,
	SENDER_STRANGER = NCU_FUZZ_KEY_STRANGER,
	SENDER_SELF = NCU_FUZZ_KEY_SELF,
	N_SENDERS = NCU_FUZZ_N_KEYS,
};

typedef struct {
	guint8 sk[NCU_KEY_LEN];
	guint8 pk[NCU_KEY_LEN];
	char *topic;             /* what this sender publishes to us on */
	NcuSignalBox *to_us;     /* seals as this sender for us */
} Sender;

static Sender senders[N_SENDERS];
/* NCU_FUZZ_VERBOSE=1 prints each verdict (to see what a seed reaches). */
static gboolean verbose;

static gint64
fixed_clock (gpointer data)
{
	return NCU_FUZZ_NOW;
}

static void
on_message (const guint8 peer_key[NCU_KEY_LEN], const NcuSignalPayload *payload,
            gpointer user_data)
{
	guint *delivered = user_data;

	/* Only configured peers may ever reach the caller. */
	ncu_fuzz_check (memcmp (peer_key, senders[SENDER_A].pk, NCU_KEY_LEN) == 0
	                || memcmp (peer_key, senders[SENDER_B].pk, NCU_KEY_LEN) == 0);
	ncu_fuzz_check (memcmp (payload->recipient, senders[SENDER_SELF].pk, NCU_KEY_LEN) == 0);
	(*delivered)++;
}

static void
setup_keys (void)
{
	const guint8 *us;

	for (int i = 0; i < N_SENDERS; i++)
		ncu_fuzz_key (i, senders[i].sk, senders[i].pk);
	us = senders[SENDER_SELF].pk;
	for (int i = 0; i < N_SENDERS; i++) {
		g_autofree char *ours = ncu_key_to_base64url (us);
		g_autofree char *theirs = ncu_key_to_base64url (senders[i].pk);

		senders[i].topic = g_strdup_printf (NCU_FUZZ_TOPIC_PREFIX "/v1/%s/%s", ours, theirs);
		senders[i].to_us = ncu_signal_box_new (senders[i].sk, us, NULL);
		ncu_fuzz_check (senders[i].to_us);
	}
}

static NcuSignal *
new_signal (guint *delivered)
{
	const NcuSignalConfig config = {
		.host = "127.0.0.1",
		.port = 1,
		.topic_prefix = NCU_FUZZ_TOPIC_PREFIX,
		.private_key = senders[SENDER_SELF].sk,
	};
	const NcuSignalCallbacks callbacks = { .message = on_message };
	NcuSignal *signal = ncu_signal_new (&config, &callbacks, delivered, NULL);

	ncu_fuzz_check (signal);
	ncu_signal_set_clock (signal, fixed_clock, NULL);
	ncu_fuzz_check (ncu_signal_add_peer (signal, senders[SENDER_A].pk, NULL));
	ncu_fuzz_check (ncu_signal_add_peer (signal, senders[SENDER_B].pk, NULL));
	return signal;
}

static guint64
stats_total (const NcuSignalStats *stats)
{
	guint64 total = stats->delivered + stats->unchanged + stats->cleared;

	for (int i = 0; i < NCU_SIGNAL_N_DROPS; i++)
		total += stats->dropped[i];
	return total;
}

static void
receive_record (NcuSignal *signal, GBytes *record, guint *delivered)
{
	gsize size;
	const guint8 *p = g_bytes_get_data (record, &size);
	const guint8 *nl;
	const Sender *sender;
	g_autofree char *topic = NULL;
	g_autoptr (GBytes) sealed = NULL;
	const guint8 *data;
	gsize len;
	guint before = *delivered;
	guint8 control;
	NcuSignalVerdict verdict;
	NcuSignalStats stats;

	if (size == 0)
		return;
	control = p[0];
	sender = &senders[control & 3];
	p++, size--;
	nl = memchr (p, '\n', size);
	if (!nl)
		return;
	topic = nl == p ? g_strdup (sender->topic) : g_strndup ((const char *) p, (gsize) (nl - p));
	data = nl + 1;
	len = size - (gsize) (nl + 1 - p);

	if ((control & 4) && len > 0) {
		sealed = ncu_signal_envelope_seal (sender->to_us, data, len, NULL);
		if (!sealed)
			return;  /* too long to seal: nothing a peer could send */
		data = g_bytes_get_data (sealed, &len);
	}
	verdict = ncu_signal_receive (signal, topic, data, len);
	if (verbose)
		g_printerr ("record from key %u: %s\n", control & 3u, ncu_signal_verdict_to_string (verdict));

	ncu_fuzz_check (verdict <= NCU_SIGNAL_CLEARED);
	ncu_fuzz_check ((verdict == NCU_SIGNAL_DELIVERED) == (*delivered == before + 1));
	ncu_signal_get_stats (signal, &stats);
	ncu_fuzz_check (stats.received == stats_total (&stats));
	ncu_fuzz_check (stats.delivered == *delivered);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	static gsize keys_ready;
	g_autoptr (GPtrArray) records = NULL;
	g_autoptr (GVariant) status = NULL;
	NcuSignal *signal;
	guint delivered = 0;

	ncu_fuzz_init ();
	if (g_once_init_enter (&keys_ready)) {
		ncu_fuzz_check (sodium_init () >= 0);
		setup_keys ();
		verbose = g_getenv ("NCU_FUZZ_VERBOSE") != NULL;
		g_once_init_leave (&keys_ready, 1);
	}

	signal = new_signal (&delivered);
	records = ncu_fuzz_split_records (data, size, NCU_FUZZ_RECORD_SEPARATOR, MAX_RECORDS);
	for (guint i = 0; i < records->len; i++)
		receive_record (signal, records->pdata[i], &delivered);
	/* The status display formats whatever the counters reached. */
	status = g_variant_ref_sink (ncu_signal_get_status (signal));
	ncu_signal_free (signal);
	return 0;
}
