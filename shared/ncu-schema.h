/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The profile schema: one table of every vpn.data and vpn.secrets key.
 * The service, the editor, import/export and the man page all read it, so
 * a key is described, typed and validated in exactly one place.
 */
#ifndef NCU_SCHEMA_H
#define NCU_SCHEMA_H

#include <glib.h>

#define NCU_VPN_SERVICE_TYPE "org.freedesktop.NetworkManager.cunicu"
#define NCU_VPN_DBUS_PATH    "/org/freedesktop/NetworkManager/VPN/Plugin"

/* vpn.data keys */
#define NCU_KEY_INTERFACE_NAME          "interface-name"
#define NCU_KEY_LISTEN_PORT             "listen-port"
#define NCU_KEY_ADDRESSES               "addresses"
#define NCU_KEY_MTU                     "mtu"
#define NCU_KEY_SIGNALING_URL           "signaling-url"
#define NCU_KEY_SIGNALING_USERNAME      "signaling-username"
#define NCU_KEY_SIGNALING_TOPIC_PREFIX  "signaling-topic-prefix"
#define NCU_KEY_SIGNALING_CA_FILE       "signaling-ca-file"
#define NCU_KEY_ICE_SERVERS             "ice-servers"
#define NCU_KEY_ICE_USERNAME            "ice-username"
#define NCU_KEY_ICE_CANDIDATE_TYPES     "ice-candidate-types"
#define NCU_KEY_ICE_INTERFACES_EXCLUDE  "ice-interfaces-exclude"
#define NCU_KEY_ICE_PORT_RANGE          "ice-port-range"
#define NCU_KEY_ICE_AUTH_LIFETIME       "ice-auth-lifetime"
#define NCU_KEY_PROXY_MODE              "proxy-mode"
#define NCU_KEY_WIREGUARD_BACKEND       "wireguard-backend"

/* per-peer keys, stored as "peer.<N>.<key>" */
#define NCU_PEER_KEY_PREFIX             "peer."
#define NCU_KEY_PEER_PUBLIC_KEY         "public-key"
#define NCU_KEY_PEER_ALLOWED_IPS        "allowed-ips"
#define NCU_KEY_PEER_ENDPOINT           "endpoint"
#define NCU_KEY_PEER_PERSISTENT_KEEPALIVE "persistent-keepalive"
#define NCU_KEY_PEER_LABEL              "label"
#define NCU_KEY_PEER_PRESHARED_KEY      "preshared-key"   /* secret */

/* vpn.secrets keys; each has "<key>-flags" in vpn.data */
#define NCU_KEY_PRIVATE_KEY             "private-key"
#define NCU_KEY_SIGNALING_PASSWORD      "signaling-password"
#define NCU_KEY_ICE_PASSWORD            "ice-password"
#define NCU_KEY_ICE_AUTH_SECRET         "ice-auth-secret"
#define NCU_FLAGS_SUFFIX                "-flags"

/* The most peers one profile may list. */
#define NCU_MAX_PEERS 1024

typedef enum {
	NCU_KEY_TYPE_STRING,       /* free text, no control characters */
	NCU_KEY_TYPE_INT,          /* decimal integer in [min, max] */
	NCU_KEY_TYPE_BOOL,         /* yes | no */
	NCU_KEY_TYPE_ENUM,         /* one of choices */
	NCU_KEY_TYPE_ENUM_SET,     /* comma list of distinct choices, not empty */
	NCU_KEY_TYPE_IFNAME,       /* Linux interface name, 1-15 chars */
	NCU_KEY_TYPE_ADDRESSES,    /* CIDR list (IPv4/IPv6) or "auto" */
	NCU_KEY_TYPE_CIDR_LIST,    /* comma list of CIDRs, IPv4 and IPv6 */
	NCU_KEY_TYPE_WG_KEY,       /* base64 of exactly 32 bytes */
	NCU_KEY_TYPE_ENDPOINT,     /* host:port, [v6]:port */
	NCU_KEY_TYPE_MQTT_URL,     /* mqtt://host[:port] or mqtts://host[:port] */
	NCU_KEY_TYPE_ICE_URLS,     /* comma list of stun:/turn:/turns: URLs */
	NCU_KEY_TYPE_GLOB_LIST,    /* comma list of interface-name globs */
	NCU_KEY_TYPE_PORT_RANGE,   /* min-max, 1-65535, min <= max */
	NCU_KEY_TYPE_PATH,         /* absolute file path */
	NCU_KEY_TYPE_TOPIC,        /* MQTT topic prefix: no + # NUL, no leading/trailing / */
	NCU_KEY_TYPE_SECRET_FLAGS, /* NMSettingSecretFlags, 0-7 */
} NcuKeyType;

typedef enum {
	NCU_KEY_REQUIRED = 1 << 0, /* must be present */
	NCU_KEY_SECRET   = 1 << 1, /* lives in vpn.secrets, has a -flags key */
	NCU_KEY_PER_PEER = 1 << 2, /* stored as peer.N.<name> */
} NcuKeyFlags;

typedef struct {
	const char *name;          /* for per-peer keys: the part after "peer.N." */
	NcuKeyType type;
	NcuKeyFlags flags;
	gint64 min, max;           /* NCU_KEY_TYPE_INT and SECRET_FLAGS only */
	const char *default_value; /* as a user would write it; NULL: none */
	const char *const *choices;/* ENUM and ENUM_SET; NULL-terminated */
	const char *summary;       /* one line, marked N_() for translation */
	const char *description;   /* more sentences for the man page and
	                            * tooltips, N_(); NULL when the summary
	                            * says it all */
} NcuKeyInfo;

/* The error domain shared by validation, import and the service. */
#define NCU_ERROR (ncu_error_quark ())
GQuark ncu_error_quark (void);

typedef enum {
	NCU_ERROR_FAILED,
	NCU_ERROR_UNKNOWN_KEY,     /* key not in the table */
	NCU_ERROR_MISSING_KEY,     /* a required key is absent */
	NCU_ERROR_INVALID_VALUE,   /* value of the wrong type, range or form */
	NCU_ERROR_DUPLICATE_PEER,  /* two peers share a public key */
	NCU_ERROR_PEER_INDEX,      /* peer indices not dense from 0, or too many */
	NCU_ERROR_SECRET_IN_DATA,  /* a secret key found in vpn.data */
	NCU_ERROR_NOT_A_SECRET,    /* a data key found in vpn.secrets */
} NcuError;

/* Every key of the table, in the order the man page lists them. */
const NcuKeyInfo *ncu_schema_keys (gsize *n_keys);

/*
 * Finds the table entry for a full key name ("mtu", "peer.3.allowed-ips",
 * "private-key-flags"). Sets *peer_index (when not NULL) to N for per-peer
 * keys, or -1. Flags keys ("<secret>-flags") resolve to a synthetic entry of
 * type SECRET_FLAGS. Unknown keys: NULL and NCU_ERROR_UNKNOWN_KEY.
 * A malformed peer index ("peer.01.label", "peer.x.label") or one of
 * NCU_MAX_PEERS or more: NULL and NCU_ERROR_PEER_INDEX.
 *
 * The flags entries are part of the table too (right after their secret),
 * with type SECRET_FLAGS, so ncu_schema_keys() lists every key a profile
 * may hold.
 */
const NcuKeyInfo *ncu_schema_lookup (const char *key, int *peer_index, GError **error);

/*
 * What a value of @info may look like, as one translated phrase for error
 * messages and the man page ("an integer 1280-9000", "one of auto, kernel,
 * userspace"). Free with g_free().
 */
char *ncu_schema_describe_allowed (const NcuKeyInfo *info);

/*
 * Checks one value against its entry. The error message names @key (the
 * full key as the user wrote it), says what is wrong and what is allowed,
 * and never quotes the value of a secret.
 */
gboolean ncu_schema_check_value (const NcuKeyInfo *info, const char *key,
                                 const char *value, GError **error);

typedef enum {
	NCU_VALIDATE_DEFAULT = 0,
	/* Require every required secret (private-key) in @secrets, whatever
	 * its -flags say (they only tell where it is kept): what the service
	 * needs to connect. Without it (the editor, import), secrets may be
	 * absent; those present are still checked. */
	NCU_VALIDATE_REQUIRE_SECRETS = 1 << 0,
} NcuValidateFlags;

/*
 * Validates a whole profile: every key known and well-formed, required keys
 * present, peers dense from 0 with distinct public keys, secrets only in
 * @secrets. @data and @secrets map string to string; @secrets may be NULL.
 * Stops at the first error.
 */
gboolean ncu_profile_validate (GHashTable *data, GHashTable *secrets,
                               NcuValidateFlags flags, GError **error);

#endif /* NCU_SCHEMA_H */
