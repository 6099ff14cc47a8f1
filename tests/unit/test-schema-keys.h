/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed WireGuard keys for the unit tests, made with
 * "wg genkey | tee priv | wg pubkey" and "wg genpsk". Test use only.
 */
#ifndef TEST_SCHEMA_KEYS_H
#define TEST_SCHEMA_KEYS_H

#define PRIV0 "IIzXyD5BTGznlpoMZ80LomDmu5yKSTlAxzMZjzUL4Ew="
#define PUB0  "CDntoA0FWObR8nHWw9PVlx6C6+uLUSePYLtbzCncJxU="
#define PRIV1 "cEGMn6zljy9ObVammjoRY17unG+5a8ojW4YuP/38gkc="
#define PUB1  "YR28U7Mulgi4YERKbOCbOgKFCII2oHWu9rgQpnseiEI="
#define PRIV2 "QMKErsQJvIEwoLqlZ8C5TjLwRelz6av6N0Nw5zzwV0o="
#define PUB2  "81oKkbhb5dgA+9UBK3B5qvnFsbAV41v1CsMWo02EemI="
#define PRIV3 "AO+lOV+cx2LNqhxvdTxEArLiaR+aYGq6uIb1WduSxnQ="
#define PUB3  "qfvlcLpmeaUsSt7JOPsGeefL2J0+LRUlr0JAuIw0sw4="
#define PRIV4 "kJd7TxKgHarJwS2F5y1BOWtkN9tVaKfPoIZwBd8D1nc="
#define PUB4  "USyS2+Jn/jqtbAn76GpqShD09smKJXQCfcCvhC6GVEE="
#define PRIV5 "UGrkn5CEbrTXA8o4TvP79Z2VcGuULFJsiFK3065mXV8="
#define PUB5  "rEK0yVFYYDqHuIPx2Or7EbCL2/bF9uN3qINdS8dUiDE="
#define PSK0  "ctu0/shCIkX/mw4VyApmvh+Z0mdcXtRfhFA4LqAUofI="

/* PUB0 in unpadded base64url, as in signaling topics. */
#define PUB0_URL "CDntoA0FWObR8nHWw9PVlx6C6-uLUSePYLtbzCncJxU"

#endif /* TEST_SCHEMA_KEYS_H */
