/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>

#include "ncu-addr.h"

void
ncu_addr_auto (const guint8 public_key[NCU_KEY_LEN], guint8 prefix, NcuCidr *out)
{
	NcuCidr net;
	guint8 iid[8];

	if (!ncu_cidr_parse (NCU_ADDR_AUTO_PREFIX, &net))
		g_assert_not_reached ();
	crypto_generichash (iid, sizeof iid, public_key, NCU_KEY_LEN, NULL, 0);
	memset (out, 0, sizeof *out);
	out->family = AF_INET6;
	memcpy (out->addr, net.addr, 8);
	memcpy (out->addr + 8, iid, 8);
	out->prefix = prefix;
}
