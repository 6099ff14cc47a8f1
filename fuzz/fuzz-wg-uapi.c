/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The WireGuard UAPI reply parsers (wireguard-go's answers on its socket):
 * ncu_wg_uapi_parse_get() for get=1 and ncu_wg_uapi_parse_set_reply() for
 * set=1, both on every input. Either gives a result or a GError, never
 * both and never neither.
 */
#include "config.h"

#include "fuzz-util.h"
#include "ncu-wg-uapi.h"

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
	g_autoptr (NcuWgDeviceInfo) info = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) set_error = NULL;
	gboolean ok;

	ncu_fuzz_init ();
	ok = ncu_wg_uapi_parse_get ((const char *) data, size, &info, &error);
	ncu_fuzz_check (ok ? (info != NULL && error == NULL) : (info == NULL && error != NULL));
	if (ok) {
		ncu_fuzz_check (info->peers != NULL);
		for (guint i = 0; i < info->peers->len; i++) {
			const NcuWgPeerInfo *peer = info->peers->pdata[i];

			ncu_fuzz_check (peer->allowed_ips != NULL);
			/* Lookups by key find the first peer with that key. */
			ncu_fuzz_check (ncu_wg_device_info_find_peer (info, peer->public_key) != NULL);
		}
	}

	ok = ncu_wg_uapi_parse_set_reply ((const char *) data, size, &set_error);
	ncu_fuzz_check (ok == (set_error == NULL));
	return 0;
}
