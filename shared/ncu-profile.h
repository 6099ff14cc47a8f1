/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A validated profile as typed values: what the service works from.
 * Built only through ncu_profile_new(), which validates with the schema
 * table first, so every field here is known to be well-formed.
 */
#ifndef NCU_PROFILE_H
#define NCU_PROFILE_H

#include <glib.h>
#include <sys/socket.h>
#include "ncu-schema.h"

#define NCU_KEY_LEN 32

typedef struct {
	int family;          /* AF_INET or AF_INET6 */
	guint8 addr[16];     /* network byte order; IPv4 uses the first 4 */
	guint8 prefix;       /* 0-32 or 0-128 */
} NcuCidr;

typedef enum {
	NCU_ICE_SERVER_STUN,
	NCU_ICE_SERVER_TURN,
	NCU_ICE_SERVER_TURNS,
} NcuIceServerKind;

typedef struct {
	NcuIceServerKind kind;
	char *host;
	guint16 port;        /* defaulted: 3478, or 5349 for turns */
	gboolean tcp;        /* ?transport=tcp */
} NcuIceServer;

typedef enum {
	NCU_CANDIDATE_HOST  = 1 << 0,
	NCU_CANDIDATE_SRFLX = 1 << 1,
	NCU_CANDIDATE_RELAY = 1 << 2,
} NcuCandidateTypes;

typedef enum {
	NCU_PROXY_MODE_AUTO,
	NCU_PROXY_MODE_USERSPACE,
	NCU_PROXY_MODE_NFTABLES,
} NcuProxyMode;

typedef enum {
	NCU_WG_BACKEND_AUTO,
	NCU_WG_BACKEND_KERNEL,
	NCU_WG_BACKEND_USERSPACE,
} NcuWgBackend;

typedef struct {
	guint index;                   /* N of peer.N.* */
	char *label;                   /* NULL when unset */
	guint8 public_key[NCU_KEY_LEN];
	GArray *allowed_ips;           /* of NcuCidr, may be empty */
	char *endpoint_host;           /* static endpoint, NULL when unset */
	guint16 endpoint_port;
	guint16 persistent_keepalive;  /* seconds, 0 = off */
	gboolean has_preshared_key;
	guint8 preshared_key[NCU_KEY_LEN]; /* wiped on free */
} NcuPeerConfig;

typedef struct {
	char *interface_name;          /* NULL: derive one */
	guint16 listen_port;           /* 0: pick a free one */
	gboolean addresses_auto;
	GArray *addresses;             /* of NcuCidr, empty when auto */
	guint mtu;
	gboolean has_private_key;
	guint8 private_key[NCU_KEY_LEN]; /* wiped on free */
	GPtrArray *peers;              /* of NcuPeerConfig*, ordered by index */

	char *signaling_url;           /* NULL: static endpoints only */
	char *signaling_host;
	guint16 signaling_port;        /* defaulted: 1883, or 8883 for mqtts */
	gboolean signaling_tls;
	char *signaling_username;
	char *signaling_password;      /* secret */
	char *signaling_topic_prefix;
	char *signaling_ca_file;

	GPtrArray *ice_servers;        /* of NcuIceServer* */
	char *ice_username;
	char *ice_password;            /* secret */
	char *ice_auth_secret;         /* secret; NULL: static credentials */
	guint ice_auth_lifetime;       /* seconds, for ice_auth_secret */
	NcuCandidateTypes ice_candidate_types;
	char **ice_interfaces_exclude; /* NULL-terminated globs, never NULL */
	guint16 ice_port_min, ice_port_max; /* 0, 0: any */

	NcuProxyMode proxy_mode;
	NcuWgBackend wireguard_backend;
} NcuProfile;

/*
 * Validates (ncu_profile_validate) and converts. @data and @secrets map
 * string to string; @secrets may be NULL.
 */
NcuProfile *ncu_profile_new (GHashTable *data, GHashTable *secrets,
                             NcuValidateFlags flags, GError **error);
void ncu_profile_free (NcuProfile *profile);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuProfile, ncu_profile_free)

/* Frees one element of NcuProfile.ice_servers. */
void ncu_ice_server_free (NcuIceServer *server);

/* Parses "a.b.c.d/p" or "x::y/p" (a bare address gets a host prefix). */
gboolean ncu_cidr_parse (const char *text, NcuCidr *out);
/* Formats into a new string, "a.b.c.d/p" or "x::y/p". */
char *ncu_cidr_to_string (const NcuCidr *cidr);

/* WireGuard keys as base64 (44 characters with one '='). */
gboolean ncu_key_from_base64 (const char *text, guint8 key[NCU_KEY_LEN]);
char *ncu_key_to_base64 (const guint8 key[NCU_KEY_LEN]);
/* Unpadded base64url, as used in signaling topics. */
char *ncu_key_to_base64url (const guint8 key[NCU_KEY_LEN]);
/* Curve25519 public key of a private key (libsodium). */
void ncu_key_public_from_private (const guint8 private_key[NCU_KEY_LEN],
                                  guint8 public_key[NCU_KEY_LEN]);

#endif /* NCU_PROFILE_H */
