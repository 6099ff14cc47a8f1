/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The plaintext signaling payload decoder, ncu_signal_payload_decode(),
 * fed directly (behind the envelope's MAC most inputs never reach it).
 *
 * The format is canonical (fixed field order, one spelling per value), so
 * whatever the decoder accepts must encode back to exactly the input bytes:
 * anything else means the decoder accepts a form a peer never writes, or
 * the encoder writes what the decoder would refuse.
 */
#include "config.h"

#include <string.h>

#include "fuzz-util.h"
#include "ncu-signal-payload.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (NcuSignalPayload) payload = NULL;
	g_autoptr (NcuSignalPayload) again = NULL;
	g_autoptr (NcuSignalPayload) copy = NULL;
	g_autoptr (GBytes) encoded = NULL;
	g_autoptr (GError) error = NULL;
	const guint8 *bytes;
	gsize len;

	ncu_fuzz_init ();
	payload = ncu_signal_payload_decode (data, size, &error);
	if (!payload) {
		ncu_fuzz_check (error && error->domain == NCU_SIGNAL_PAYLOAD_ERROR);
		return 0;
	}
	ncu_fuzz_check (!error);

	encoded = ncu_signal_payload_encode (payload, &error);
	if (!encoded)
		ncu_fuzz_fail ("decoded payload does not encode: %s", error->message);
	bytes = g_bytes_get_data (encoded, &len);
	ncu_fuzz_check (len == size && memcmp (bytes, data, size) == 0);

	again = ncu_signal_payload_decode (bytes, len, NULL);
	ncu_fuzz_check (again && ncu_signal_payload_same_content (payload, again));
	ncu_fuzz_check (again->sequence == payload->sequence
	                && again->timestamp == payload->timestamp);
	copy = ncu_signal_payload_copy (payload);
	ncu_fuzz_check (ncu_signal_payload_same_content (payload, copy));
	return 0;
}
