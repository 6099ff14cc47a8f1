/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-liveness-probe.h"

#define TAG_LEN 16
#define SIGNED_LEN (NCU_LIVENESS_PROBE_LEN - TAG_LEN)
#define OFFSET_TYPE 4
#define OFFSET_NONCE 8

/* Separates this use of the ICE password from any other. */
static const char key_context[] = "cunicu liveness probe v1";

static const guint8 magic[NCU_LIVENESS_MAGIC_LEN] = { 0xff, 0x4e, 0x43, 0x55 };

const guint8 *
ncu_liveness_probe_magic (void)
{
	return magic;
}

void
ncu_liveness_key_derive (const char *ice_pwd, guint8 key[NCU_LIVENESS_KEY_LEN])
{
	crypto_generichash_state state;

	crypto_generichash_init (&state, NULL, 0, NCU_LIVENESS_KEY_LEN);
	crypto_generichash_update (&state, (const guint8 *) key_context, sizeof key_context);
	crypto_generichash_update (&state, (const guint8 *) ice_pwd, strlen (ice_pwd));
	crypto_generichash_final (&state, key, NCU_LIVENESS_KEY_LEN);
	sodium_memzero (&state, sizeof state);
}

static void
compute_tag (const guint8 *msg, const guint8 key[NCU_LIVENESS_KEY_LEN], guint8 tag[TAG_LEN])
{
	crypto_generichash (tag, TAG_LEN, msg, SIGNED_LEN, key, NCU_LIVENESS_KEY_LEN);
}

void
ncu_liveness_probe_build (guint8 out[NCU_LIVENESS_PROBE_LEN], NcuLivenessProbeType type,
                          const guint8 nonce[NCU_LIVENESS_NONCE_LEN],
                          const guint8 key[NCU_LIVENESS_KEY_LEN])
{
	memset (out, 0, NCU_LIVENESS_PROBE_LEN);
	memcpy (out, magic, NCU_LIVENESS_MAGIC_LEN);
	out[OFFSET_TYPE] = (guint8) type;
	memcpy (out + OFFSET_NONCE, nonce, NCU_LIVENESS_NONCE_LEN);
	compute_tag (out, key, out + SIGNED_LEN);
}

gboolean
ncu_liveness_probe_parse (const guint8 *buf, gsize len, const guint8 key[NCU_LIVENESS_KEY_LEN],
                          NcuLivenessProbeType *type, guint8 nonce[NCU_LIVENESS_NONCE_LEN])
{
	static const guint8 zero[3] = { 0 };
	guint8 tag[TAG_LEN];
	gboolean ok;

	/* The cheap checks first: anything else costs no hash. */
	if (len != NCU_LIVENESS_PROBE_LEN || memcmp (buf, magic, NCU_LIVENESS_MAGIC_LEN) != 0)
		return FALSE;
	if (buf[OFFSET_TYPE] < NCU_LIVENESS_PROBE_REQUEST || buf[OFFSET_TYPE] > NCU_LIVENESS_PROBE_KEEPALIVE)
		return FALSE;
	if (memcmp (buf + OFFSET_TYPE + 1, zero, sizeof zero) != 0)
		return FALSE;
	compute_tag (buf, key, tag);
	ok = crypto_verify_16 (tag, buf + SIGNED_LEN) == 0;
	if (ok) {
		*type = buf[OFFSET_TYPE];
		memcpy (nonce, buf + OFFSET_NONCE, NCU_LIVENESS_NONCE_LEN);
	}
	return ok;
}
