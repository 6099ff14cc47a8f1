/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The schema table and validation: bad profiles each fail with the exact
 * error code and a message that starts with the key it is about and never
 * holds a secret; the table itself is consistent.
 */
#include "config.h"

#include <string.h>
#include <glib.h>

#include "ncu-profile.h"
#include "test-schema-keys.h"

/*
 * One bad profile: edits to a good base profile. Edits are lines
 * "key=value" (set) or "-key" (remove).
 */
typedef struct {
	const char *name;
	const char *data;         /* edits to vpn.data */
	const char *secrets;      /* edits to vpn.secrets */
	NcuError code;
	const char *key;          /* the message starts with "<key>: " */
	const char *also;         /* another part the message must hold, or NULL */
} BadCase;

static const BadCase bad_cases[] = {
	/* keys that do not exist, or not there */
	{ "unknown/data", "foo=bar", NULL, NCU_ERROR_UNKNOWN_KEY, "foo", "nm-settings-cunicu(5)" },
	{ "unknown/secret", NULL, "foo=bar", NCU_ERROR_UNKNOWN_KEY, "foo", NULL },
	{ "unknown/peer-key", "peer.0.foo=bar", NULL, NCU_ERROR_UNKNOWN_KEY, "peer.0.foo", NULL },
	{ "unknown/nm-property-name", "name=x", NULL, NCU_ERROR_UNKNOWN_KEY, "name", NULL },
	{ "unknown/upper-case", "MTU=1400", NULL, NCU_ERROR_UNKNOWN_KEY, "MTU", NULL },
	{ "unknown/flags-of-non-secret", "mtu-flags=0", NULL, NCU_ERROR_UNKNOWN_KEY, "mtu-flags", NULL },
	{ "unknown/peer-key-not-per-peer", "peer.0.mtu=1400", NULL, NCU_ERROR_UNKNOWN_KEY, "peer.0.mtu", NULL },
	{ "unknown/per-peer-key-at-top", "allowed-ips=10.0.0.0/8", NULL, NCU_ERROR_UNKNOWN_KEY, "allowed-ips", NULL },
	{ "secret-in-data/private-key", "private-key=" PRIV0, NULL, NCU_ERROR_SECRET_IN_DATA, "private-key", "vpn.secrets" },
	{ "secret-in-data/preshared-key", "peer.0.preshared-key=" PSK0, NULL, NCU_ERROR_SECRET_IN_DATA, "peer.0.preshared-key", NULL },
	{ "secret-in-data/signaling-password", "signaling-password=hunter22", NULL, NCU_ERROR_SECRET_IN_DATA, "signaling-password", NULL },
	{ "secret-in-data/ice-password", "ice-password=hunter22", NULL, NCU_ERROR_SECRET_IN_DATA, "ice-password", NULL },
	{ "not-a-secret/mtu", NULL, "mtu=1400", NCU_ERROR_NOT_A_SECRET, "mtu", "vpn.data" },
	{ "not-a-secret/flags", NULL, "private-key-flags=0", NCU_ERROR_NOT_A_SECRET, "private-key-flags", NULL },
	{ "not-a-secret/public-key", NULL, "peer.0.public-key=" PUB1, NCU_ERROR_NOT_A_SECRET, "peer.0.public-key", NULL },

	/* peers */
	{ "peer-index/leading-zero", "peer.01.label=x", NULL, NCU_ERROR_PEER_INDEX, "peer.01.label", NULL },
	{ "peer-index/too-large", "peer.1024.public-key=" PUB2, NULL, NCU_ERROR_PEER_INDEX, "peer.1024.public-key", "0-1023" },
	{ "peer-index/huge", "peer.99999999999999999999.label=x", NULL, NCU_ERROR_PEER_INDEX, "peer.99999999999999999999.label", NULL },
	{ "peer-index/not-a-number", "peer.x.label=x", NULL, NCU_ERROR_PEER_INDEX, "peer.x.label", NULL },
	{ "peer-index/negative", "peer.-1.label=x", NULL, NCU_ERROR_PEER_INDEX, "peer.-1.label", NULL },
	{ "peer-index/plus", "peer.+1.label=x", NULL, NCU_ERROR_PEER_INDEX, "peer.+1.label", NULL },
	{ "peer-index/no-key-name", "peer.0=x", NULL, NCU_ERROR_PEER_INDEX, "peer.0", NULL },
	{ "peer-index/empty-key-name", "peer.0.=x", NULL, NCU_ERROR_UNKNOWN_KEY, "peer.0.", NULL },
	{ "peer-index/gap", "peer.2.public-key=" PUB2, NULL, NCU_ERROR_PEER_INDEX, "peer.1", "peer.2" },
	{ "peer-index/not-from-zero", "-peer.0.public-key\n-peer.0.allowed-ips\npeer.1.public-key=" PUB1, NULL,
	  NCU_ERROR_PEER_INDEX, "peer.0", NULL },
	{ "peer/no-public-key", "peer.1.label=x", NULL, NCU_ERROR_MISSING_KEY, "peer.1.public-key", NULL },
	{ "peer/only-a-preshared-key", NULL, "peer.1.preshared-key=" PSK0, NCU_ERROR_MISSING_KEY, "peer.1.public-key", NULL },
	{ "peer/none", "-peer.0.public-key\n-peer.0.allowed-ips", NULL, NCU_ERROR_MISSING_KEY, "peer.0.public-key", NULL },
	{ "peer/duplicate-key", "peer.1.public-key=" PUB1, NULL, NCU_ERROR_DUPLICATE_PEER, "peer.1.public-key", "peer.0" },
	{ "peer/duplicate-key-later", "peer.1.public-key=" PUB2 "\npeer.2.public-key=" PUB3 "\npeer.3.public-key=" PUB2, NULL,
	  NCU_ERROR_DUPLICATE_PEER, "peer.3.public-key", "peer.1" },
	{ "peer/our-own-key", "peer.1.public-key=" PUB0, NULL, NCU_ERROR_DUPLICATE_PEER, "peer.1.public-key", "private-key" },

	/* required keys */
	{ "required/private-key", NULL, "-private-key", NCU_ERROR_MISSING_KEY, "private-key", "wg genkey" },

	/* integers */
	{ "int/below-range", "mtu=100", NULL, NCU_ERROR_INVALID_VALUE, "mtu", "\"100\" is out of range; allowed 1280-9000" },
	{ "int/above-range", "mtu=9001", NULL, NCU_ERROR_INVALID_VALUE, "mtu", "1280-9000" },
	{ "int/not-a-number", "mtu=abc", NULL, NCU_ERROR_INVALID_VALUE, "mtu", "not a decimal number" },
	{ "int/negative", "mtu=-1400", NULL, NCU_ERROR_INVALID_VALUE, "mtu", NULL },
	{ "int/plus-sign", "mtu=+1400", NULL, NCU_ERROR_INVALID_VALUE, "mtu", NULL },
	{ "int/trailing-garbage", "mtu=1400x", NULL, NCU_ERROR_INVALID_VALUE, "mtu", NULL },
	{ "int/leading-space", "mtu= 1400", NULL, NCU_ERROR_INVALID_VALUE, "mtu", NULL },
	{ "int/trailing-space", "mtu=1400 ", NULL, NCU_ERROR_INVALID_VALUE, "mtu", NULL },
	{ "int/leading-zero", "mtu=01400", NULL, NCU_ERROR_INVALID_VALUE, "mtu", "leading zero" },
	{ "int/hex", "mtu=0x578", NULL, NCU_ERROR_INVALID_VALUE, "mtu", NULL },
	{ "int/overflow", "mtu=18446744073709551617", NULL, NCU_ERROR_INVALID_VALUE, "mtu", "out of range" },
	{ "int/empty", "mtu=", NULL, NCU_ERROR_INVALID_VALUE, "mtu", "empty" },
	{ "int/listen-port", "listen-port=65536", NULL, NCU_ERROR_INVALID_VALUE, "listen-port", "0-65535" },
	{ "int/keepalive", "peer.0.persistent-keepalive=65536", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.persistent-keepalive", NULL },
	{ "int/keepalive-negative", "peer.0.persistent-keepalive=-5", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.persistent-keepalive", NULL },

	/* secret flags */
	{ "flags/too-large", "private-key-flags=8", NULL, NCU_ERROR_INVALID_VALUE, "private-key-flags", "0-7" },
	{ "flags/word", "private-key-flags=agent-owned", NULL, NCU_ERROR_INVALID_VALUE, "private-key-flags", NULL },
	{ "flags/peer", "peer.0.preshared-key-flags=9", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.preshared-key-flags", NULL },
	{ "flags/negative", "ice-password-flags=-1", NULL, NCU_ERROR_INVALID_VALUE, "ice-password-flags", NULL },
	{ "flags/signaling", "signaling-password-flags=1.0", NULL, NCU_ERROR_INVALID_VALUE, "signaling-password-flags", NULL },

	/* enums */
	{ "enum/unknown", "proxy-mode=fast", NULL, NCU_ERROR_INVALID_VALUE, "proxy-mode", "auto, userspace, nftables" },
	{ "enum/case", "proxy-mode=Auto", NULL, NCU_ERROR_INVALID_VALUE, "proxy-mode", NULL },
	{ "enum/list", "wireguard-backend=kernel,userspace", NULL, NCU_ERROR_INVALID_VALUE, "wireguard-backend", NULL },
	{ "enum-set/unknown", "ice-candidate-types=host,prflx", NULL, NCU_ERROR_INVALID_VALUE, "ice-candidate-types", "\"prflx\"" },
	{ "enum-set/twice", "ice-candidate-types=host,relay,host", NULL, NCU_ERROR_INVALID_VALUE, "ice-candidate-types", "twice" },
	{ "enum-set/empty-item", "ice-candidate-types=host,,relay", NULL, NCU_ERROR_INVALID_VALUE, "ice-candidate-types", "empty" },
	{ "enum-set/only-comma", "ice-candidate-types=,", NULL, NCU_ERROR_INVALID_VALUE, "ice-candidate-types", NULL },
	{ "enum-set/tab", "ice-candidate-types=host,\trelay", NULL, NCU_ERROR_INVALID_VALUE, "ice-candidate-types", NULL },

	/* interface names */
	{ "ifname/too-long", "interface-name=wgabcdefghijklmn", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", "1-15" },
	{ "ifname/slash", "interface-name=wg/0", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", NULL },
	{ "ifname/space", "interface-name=wg 0", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", NULL },
	{ "ifname/colon", "interface-name=wg:0", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", NULL },
	{ "ifname/dot", "interface-name=.", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", NULL },
	{ "ifname/dot-dot", "interface-name=..", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", NULL },
	{ "ifname/non-ascii", "interface-name=wg\xc3\xa9", NULL, NCU_ERROR_INVALID_VALUE, "interface-name", NULL },

	/* addresses and CIDR lists */
	{ "cidr/v4-prefix", "addresses=10.0.0.1/33", NULL, NCU_ERROR_INVALID_VALUE, "addresses", "0-32" },
	{ "cidr/v6-prefix", "addresses=fd00::1/129", NULL, NCU_ERROR_INVALID_VALUE, "addresses", "0-128" },
	{ "cidr/v4-octet", "addresses=10.0.0.256/24", NULL, NCU_ERROR_INVALID_VALUE, "addresses", NULL },
	{ "cidr/v4-leading-zero", "addresses=010.0.0.1/24", NULL, NCU_ERROR_INVALID_VALUE, "addresses", NULL },
	{ "cidr/v4-short", "addresses=10.1/16", NULL, NCU_ERROR_INVALID_VALUE, "addresses", NULL },
	{ "cidr/auto-in-list", "addresses=10.0.0.1/24, auto", NULL, NCU_ERROR_INVALID_VALUE, "addresses", "auto alone" },
	{ "cidr/trailing-garbage", "addresses=10.0.0.1/24x", NULL, NCU_ERROR_INVALID_VALUE, "addresses", NULL },
	{ "cidr/empty-prefix", "addresses=10.0.0.1/", NULL, NCU_ERROR_INVALID_VALUE, "addresses", NULL },
	{ "cidr/negative-prefix", "addresses=10.0.0.1/-1", NULL, NCU_ERROR_INVALID_VALUE, "addresses", NULL },
	{ "cidr/prefix-leading-zero", "peer.0.allowed-ips=10.0.0.2/032", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.allowed-ips", NULL },
	{ "cidr/two-slashes", "peer.0.allowed-ips=fd00::/64/1", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.allowed-ips", NULL },
	{ "cidr/bogus-item", "peer.0.allowed-ips=10.0.0.0/8, bogus", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.allowed-ips", "\"bogus\"" },
	{ "cidr/empty-item", "peer.0.allowed-ips=10.0.0.2/32, ,fd00::2/128", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.allowed-ips", "empty" },
	{ "cidr/trailing-comma", "peer.0.allowed-ips=10.0.0.2/32,", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.allowed-ips", NULL },
	{ "cidr/v6-zone", "peer.1.public-key=" PUB1 "\npeer.1.allowed-ips=fe80::1%eth0/64", NULL, NCU_ERROR_INVALID_VALUE, "peer.1.allowed-ips", NULL },

	/* WireGuard keys */
	{ "key/short", "peer.0.public-key=tooshort", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", "44 characters" },
	{ "key/31-bytes", "peer.0.public-key=CDntoA0FWObR8nHWw9PVlx6C6+uLUSePYLtbzCncJw==", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", NULL },
	{ "key/33-bytes", "peer.0.public-key=CDntoA0FWObR8nHWw9PVlx6C6+uLUSePYLtbzCncJxUA", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", NULL },
	{ "key/non-canonical", "peer.0.public-key=CDntoA0FWObR8nHWw9PVlx6C6+uLUSePYLtbzCncJxV=", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", NULL },
	{ "key/url-alphabet", "peer.0.public-key=CDntoA0FWObR8nHWw9PVlx6C6-uLUSePYLtbzCncJxU=", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", NULL },
	{ "key/no-padding", "peer.0.public-key=" PUB0_URL, NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", NULL },
	{ "key/extra-padding", "peer.0.public-key=" PUB1 "=", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", NULL },
	{ "key/zero", "peer.0.public-key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.public-key", "all-zero" },
	{ "key/private-invalid", NULL, "private-key=not-a-key-but-maybe-a-password", NCU_ERROR_INVALID_VALUE, "private-key", NULL },
	{ "key/private-almost", NULL, "private-key=IIzXyD5BTGznlpoMZ80LomDmu5yKSTlAxzMZjzUL4E", NCU_ERROR_INVALID_VALUE, "private-key", NULL },
	{ "key/private-zero", NULL, "private-key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", NCU_ERROR_INVALID_VALUE, "private-key", "all-zero" },
	{ "key/preshared-invalid", NULL, "peer.0.preshared-key=ctu0/shCIkX/mw4VyApmvh+Z0mdcXtRfhFA4LqAUof", NCU_ERROR_INVALID_VALUE, "peer.0.preshared-key", NULL },

	/* endpoints */
	{ "endpoint/no-port", "peer.0.endpoint=vpn.example.org", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", "no port" },
	{ "endpoint/v6-no-brackets", "peer.0.endpoint=fd00::1:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", "brackets" },
	{ "endpoint/v6-no-colon", "peer.0.endpoint=[fd00::1]51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/v6-unclosed", "peer.0.endpoint=[fd00::1:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/v6-bad", "peer.0.endpoint=[fd00::zz]:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/v4-in-brackets", "peer.0.endpoint=[192.0.2.1]:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/port-zero", "peer.0.endpoint=vpn.example.org:0", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", "1-65535" },
	{ "endpoint/port-large", "peer.0.endpoint=vpn.example.org:65536", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/port-empty", "peer.0.endpoint=vpn.example.org:", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/port-garbage", "peer.0.endpoint=vpn.example.org:51820x", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/label-dash", "peer.0.endpoint=-vpn.example.org:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/underscore", "peer.0.endpoint=vpn_1.example.org:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/empty-label", "peer.0.endpoint=vpn..example.org:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/long-label", "peer.0.endpoint=a123456789012345678901234567890123456789012345678901234567890123.org:1",
	  NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", "63" },
	{ "endpoint/bad-v4", "peer.0.endpoint=192.0.2.999:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", "IPv4" },
	{ "endpoint/numeric-tld", "peer.0.endpoint=vpn.example.123:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/user", "peer.0.endpoint=user@vpn.example.org:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },
	{ "endpoint/empty-host", "peer.0.endpoint=:51820", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.endpoint", NULL },

	/* MQTT URLs */
	{ "mqtt/scheme", "signaling-url=http://broker.example.org", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", "mqtts://" },
	{ "mqtt/scheme-case", "signaling-url=MQTT://broker.example.org", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", NULL },
	{ "mqtt/no-slashes", "signaling-url=mqtt:broker.example.org", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", NULL },
	{ "mqtt/userinfo", "signaling-url=mqtt://alice:s3cretPass@broker.example.org", NULL, NCU_ERROR_INVALID_VALUE,
	  "signaling-url", "signaling-password" },
	{ "mqtt/path", "signaling-url=mqtt://broker.example.org/topic", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", "a path" },
	{ "mqtt/path-slash", "signaling-url=mqtt://broker.example.org/", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", "a path" },
	{ "mqtt/query", "signaling-url=mqtts://broker.example.org?x=1", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", "a query" },
	{ "mqtt/fragment", "signaling-url=mqtts://broker.example.org#x", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", "a fragment" },
	{ "mqtt/port-zero", "signaling-url=mqtt://broker.example.org:0", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", NULL },
	{ "mqtt/port-large", "signaling-url=mqtt://broker.example.org:70000", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", NULL },
	{ "mqtt/no-host", "signaling-url=mqtt://", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", NULL },
	{ "mqtt/v6-unclosed", "signaling-url=mqtt://[::1", NULL, NCU_ERROR_INVALID_VALUE, "signaling-url", NULL },

	/* ICE servers */
	{ "ice/stun-transport", "ice-servers=stun:stun.example.org?transport=udp", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/unknown-transport", "ice-servers=turn:turn.example.org?transport=sctp", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/other-query", "ice-servers=turn:turn.example.org?foo=bar", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/turns-udp", "ice-servers=turns:turn.example.org?transport=udp", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/scheme", "ice-servers=http://turn.example.org", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", "stun:" },
	{ "ice/stuns", "ice-servers=stuns:stun.example.org", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/double-slash", "ice-servers=stun://stun.example.org", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", "//" },
	{ "ice/userinfo", "ice-servers=stun:a.example.org,turn:bob:s3cretPass@turn.example.org", NULL, NCU_ERROR_INVALID_VALUE,
	  "ice-servers", "ice-password" },
	{ "ice/port-zero", "ice-servers=stun:stun.example.org:0", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/trailing-comma", "ice-servers=stun:stun.example.org,", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },
	{ "ice/second-bad", "ice-servers=stun:stun.example.org, turn:bad_host", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", "turn:bad_host" },
	{ "ice/path", "ice-servers=turn:turn.example.org/x", NULL, NCU_ERROR_INVALID_VALUE, "ice-servers", NULL },

	/* topics */
	{ "topic/plus", "signaling-topic-prefix=a/+/b", NULL, NCU_ERROR_INVALID_VALUE, "signaling-topic-prefix", "wildcard" },
	{ "topic/hash", "signaling-topic-prefix=a#", NULL, NCU_ERROR_INVALID_VALUE, "signaling-topic-prefix", NULL },
	{ "topic/leading-slash", "signaling-topic-prefix=/cunicu", NULL, NCU_ERROR_INVALID_VALUE, "signaling-topic-prefix", NULL },
	{ "topic/trailing-slash", "signaling-topic-prefix=cunicu/", NULL, NCU_ERROR_INVALID_VALUE, "signaling-topic-prefix", NULL },
	{ "topic/empty-level", "signaling-topic-prefix=a//b", NULL, NCU_ERROR_INVALID_VALUE, "signaling-topic-prefix", "empty level" },
	{ "topic/dollar", "signaling-topic-prefix=$SYS", NULL, NCU_ERROR_INVALID_VALUE, "signaling-topic-prefix", NULL },

	/* interface globs */
	{ "glob/unclosed", "ice-interfaces-exclude=docker[0-9", NULL, NCU_ERROR_INVALID_VALUE, "ice-interfaces-exclude", "']'" },
	{ "glob/slash", "ice-interfaces-exclude=veth*, wg/0", NULL, NCU_ERROR_INVALID_VALUE, "ice-interfaces-exclude", "\"wg/0\"" },
	{ "glob/empty-item", "ice-interfaces-exclude=a,,b", NULL, NCU_ERROR_INVALID_VALUE, "ice-interfaces-exclude", NULL },
	{ "glob/space-inside", "ice-interfaces-exclude=wg *", NULL, NCU_ERROR_INVALID_VALUE, "ice-interfaces-exclude", NULL },

	/* port ranges */
	{ "ports/single", "ice-port-range=5000", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", "min-max" },
	{ "ports/reversed", "ice-port-range=5000-4000", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", "min <= max" },
	{ "ports/zero", "ice-port-range=0-100", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", NULL },
	{ "ports/large", "ice-port-range=1-65536", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", NULL },
	{ "ports/negative", "ice-port-range=-5-10", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", NULL },
	{ "ports/three", "ice-port-range=10-20-30", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", NULL },
	{ "ports/spaces", "ice-port-range=10 - 20", NULL, NCU_ERROR_INVALID_VALUE, "ice-port-range", NULL },

	/* paths and free text */
	{ "path/relative", "signaling-ca-file=certs/ca.pem", NULL, NCU_ERROR_INVALID_VALUE, "signaling-ca-file", "absolute" },
	{ "string/control", "peer.0.label=a\tb", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.label", "control" },
	{ "string/utf8", "peer.0.label=\xff\xfe", NULL, NCU_ERROR_INVALID_VALUE, "peer.0.label", "UTF-8" },
	{ "string/delete", "signaling-username=a\x7f", NULL, NCU_ERROR_INVALID_VALUE, "signaling-username", NULL },
	{ "string/empty", "ice-username=", NULL, NCU_ERROR_INVALID_VALUE, "ice-username", NULL },
	{ "string/secret-control", NULL, "signaling-password=pa\x01ssword", NCU_ERROR_INVALID_VALUE, "signaling-password", NULL },
	{ "string/secret-empty", NULL, "ice-password=", NCU_ERROR_INVALID_VALUE, "ice-password", NULL },

	/* time-limited TURN credentials */
	{ "ice-auth/secret-in-data", "ice-auth-secret=s3cretAuth", NULL, NCU_ERROR_SECRET_IN_DATA, "ice-auth-secret", NULL },
	{ "ice-auth/secret-empty", NULL, "ice-auth-secret=", NCU_ERROR_INVALID_VALUE, "ice-auth-secret", NULL },
	{ "ice-auth/with-password", "ice-username=alice", "ice-password=turnPass\nice-auth-secret=s3cretAuth",
	  NCU_ERROR_INVALID_VALUE, "ice-auth-secret", "ice-password" },
	{ "ice-auth/lifetime-with-password", "ice-auth-lifetime=600", "ice-password=turnPass",
	  NCU_ERROR_INVALID_VALUE, "ice-auth-lifetime", "ice-auth-secret" },
	{ "ice-auth/lifetime-low", "ice-auth-lifetime=9", NULL, NCU_ERROR_INVALID_VALUE, "ice-auth-lifetime", "10-2592000" },
	{ "ice-auth/lifetime-high", "ice-auth-lifetime=2592001", NULL, NCU_ERROR_INVALID_VALUE, "ice-auth-lifetime", NULL },
	{ "ice-auth/flags", "ice-auth-secret-flags=8", NULL, NCU_ERROR_INVALID_VALUE, "ice-auth-secret-flags", "0-7" },
};

static GHashTable *
table_new (void)
{
	return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/* Applies edits ("key=value" sets, "-key" removes), one per line. */
static void
apply_edits (GHashTable *table, const char *edits)
{
	g_auto (GStrv) lines = NULL;
	guint i;

	if (!edits)
		return;
	lines = g_strsplit (edits, "\n", -1);
	for (i = 0; lines[i]; i++) {
		const char *eq = strchr (lines[i], '=');

		if (lines[i][0] == '-' && !eq)
			g_assert_true (g_hash_table_remove (table, lines[i] + 1));
		else {
			g_assert_nonnull (eq);
			g_hash_table_insert (table, g_strndup (lines[i], eq - lines[i]), g_strdup (eq + 1));
		}
	}
}

/* A good profile: one peer, a broker, our private key. */
static void
base_profile (GHashTable **data, GHashTable **secrets)
{
	*data = table_new ();
	*secrets = table_new ();
	apply_edits (*data, "peer.0.public-key=" PUB1 "\n"
	                    "peer.0.allowed-ips=10.0.0.2/32\n"
	                    "signaling-url=mqtt://broker.example.org");
	apply_edits (*secrets, "private-key=" PRIV0);
}

/* No value of vpn.secrets may appear in a message. */
static void
assert_no_secret_in (const char *message, GHashTable *secrets)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, secrets);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		if (strlen (value) >= 4)
			g_assert_null (strstr (message, value));
	}
	/* Secrets misplaced into vpn.data or into URLs count too. */
	g_assert_null (strstr (message, PRIV0));
	g_assert_null (strstr (message, PSK0));
	g_assert_null (strstr (message, "hunter22"));
	g_assert_null (strstr (message, "s3cretPass"));
	g_assert_null (strstr (message, "not-a-key-but"));
}

static void
assert_bad (const BadCase *c, GHashTable *data, GHashTable *secrets,
            GError *error)
{
	g_autofree char *prefix = g_strdup_printf ("%s: ", c->key);

	g_test_message ("%s: %s", c->name, error ? error->message : "(no error)");
	g_assert_error (error, NCU_ERROR, (int) c->code);
	g_assert_true (g_str_has_prefix (error->message, prefix));
	if (c->also)
		g_assert_nonnull (strstr (error->message, c->also));
	/* "<key>: <what is wrong>; <what is allowed>" */
	g_assert_nonnull (strstr (error->message, "; "));
	assert_no_secret_in (error->message, secrets);
}

static void
test_bad_profile (gconstpointer user_data)
{
	const BadCase *c = user_data;
	g_autoptr (GHashTable) data = NULL;
	g_autoptr (GHashTable) secrets = NULL;
	g_autoptr (GError) error = NULL;
	g_autoptr (GError) error2 = NULL;
	g_autoptr (NcuProfile) profile = NULL;

	base_profile (&data, &secrets);
	apply_edits (data, c->data);
	apply_edits (secrets, c->secrets);

	g_assert_false (ncu_profile_validate (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS, &error));
	assert_bad (c, data, secrets, error);

	/* ncu_profile_new refuses it the same way. */
	profile = ncu_profile_new (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS, &error2);
	g_assert_null (profile);
	g_assert_error (error2, NCU_ERROR, (int) c->code);
	g_assert_cmpstr (error->message, ==, error2->message);
}

static void
test_base_profile_is_good (void)
{
	g_autoptr (GHashTable) data = NULL;
	g_autoptr (GHashTable) secrets = NULL;
	g_autoptr (GError) error = NULL;

	base_profile (&data, &secrets);
	g_assert_true (ncu_profile_validate (data, secrets, NCU_VALIDATE_REQUIRE_SECRETS, &error));
	g_assert_no_error (error);
}

/* Without NCU_VALIDATE_REQUIRE_SECRETS (editor, import) secrets may be absent. */
static void
test_secrets_optional (void)
{
	g_autoptr (GHashTable) data = NULL;
	g_autoptr (GHashTable) secrets = NULL;
	g_autoptr (GError) error = NULL;

	base_profile (&data, &secrets);
	g_assert_true (ncu_profile_validate (data, NULL, NCU_VALIDATE_DEFAULT, &error));
	g_assert_no_error (error);
	g_assert_false (ncu_profile_validate (data, NULL, NCU_VALIDATE_REQUIRE_SECRETS, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_MISSING_KEY);
	g_assert_true (g_str_has_prefix (error->message, "private-key: "));
}

/* The same bad profile always reports the same first error. */
static void
test_first_error_is_stable (void)
{
	g_autofree char *first = NULL;
	guint i;

	for (i = 0; i < 20; i++) {
		g_autoptr (GHashTable) data = NULL;
		g_autoptr (GHashTable) secrets = NULL;
		g_autoptr (GError) error = NULL;

		base_profile (&data, &secrets);
		apply_edits (data, "mtu=1\nlisten-port=x\nzzz=1\naaa=2\nproxy-mode=x");
		g_assert_false (ncu_profile_validate (data, secrets, 0, &error));
		if (!first)
			first = g_strdup (error->message);
		g_assert_cmpstr (error->message, ==, first);
	}
}

static void
test_lookup (void)
{
	g_autoptr (GError) error = NULL;
	const NcuKeyInfo *info;
	int index = 42;

	info = ncu_schema_lookup ("mtu", &index, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (info->name, ==, NCU_KEY_MTU);
	g_assert_cmpint (info->type, ==, NCU_KEY_TYPE_INT);
	g_assert_cmpint (index, ==, -1);

	info = ncu_schema_lookup ("peer.1023.allowed-ips", &index, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (info->name, ==, NCU_KEY_PEER_ALLOWED_IPS);
	g_assert_cmpint (index, ==, 1023);

	info = ncu_schema_lookup ("private-key-flags", &index, &error);
	g_assert_no_error (error);
	g_assert_cmpint (info->type, ==, NCU_KEY_TYPE_SECRET_FLAGS);
	g_assert_cmpint (index, ==, -1);

	info = ncu_schema_lookup ("peer.7.preshared-key-flags", &index, &error);
	g_assert_no_error (error);
	g_assert_cmpint (info->type, ==, NCU_KEY_TYPE_SECRET_FLAGS);
	g_assert_cmpint (index, ==, 7);

	info = ncu_schema_lookup ("peer.0.preshared-key", NULL, &error);
	g_assert_no_error (error);
	g_assert_true (info->flags & NCU_KEY_SECRET);

	g_assert_null (ncu_schema_lookup ("public-key", NULL, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_UNKNOWN_KEY);
	g_clear_error (&error);
	g_assert_null (ncu_schema_lookup ("peer.1024.label", NULL, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_PEER_INDEX);
	g_clear_error (&error);
	/* Unknown keys are named escaped, so a message stays one printable line. */
	g_assert_null (ncu_schema_lookup ("a\nb", NULL, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_UNKNOWN_KEY);
	g_assert_null (strchr (error->message, '\n'));
}

/* The table keeps its own rules. */
static void
test_table (void)
{
	static const char *const nm_property_names[] = {
		"name", "service-type", "user-name", "persistent", "timeout", "data", "secrets", NULL
	};
	gsize n_keys, i;
	const NcuKeyInfo *keys = ncu_schema_keys (&n_keys);

	g_assert_cmpuint (n_keys, ==, 31);
	for (i = 0; i < n_keys; i++) {
		const NcuKeyInfo *info = &keys[i];
		g_autofree char *full = (info->flags & NCU_KEY_PER_PEER)
		                        ? g_strdup_printf ("peer.5.%s", info->name) : g_strdup (info->name);
		g_autofree char *allowed = ncu_schema_describe_allowed (info);
		g_autoptr (GError) error = NULL;
		const char *p;
		gsize j;

		g_test_message ("key %s", full);
		for (p = info->name; *p; p++)
			g_assert_true (g_ascii_islower (*p) || g_ascii_isdigit (*p) || *p == '-');
		g_assert_false (g_strv_contains (nm_property_names, info->name));
		for (j = 0; j < i; j++)
			g_assert_false (strcmp (keys[j].name, info->name) == 0
			                && (keys[j].flags & NCU_KEY_PER_PEER) == (info->flags & NCU_KEY_PER_PEER));
		g_assert_true (ncu_schema_lookup (full, NULL, NULL) == info);
		g_assert_true (info->summary && g_str_has_suffix (info->summary, "."));
		g_assert_true (!info->description || g_str_has_suffix (info->description, "."));
		g_assert_true (allowed && allowed[0]);
		if (info->type == NCU_KEY_TYPE_ENUM || info->type == NCU_KEY_TYPE_ENUM_SET)
			g_assert_nonnull (info->choices);
		if (info->default_value) {
			g_assert_true (ncu_schema_check_value (info, full, info->default_value, &error));
			g_assert_no_error (error);
		}
		if (info->flags & NCU_KEY_SECRET) {
			g_autofree char *flags = g_strconcat (info->name, NCU_FLAGS_SUFFIX, NULL);

			/* Only forms whose messages never quote the value. */
			g_assert_true (info->type == NCU_KEY_TYPE_STRING || info->type == NCU_KEY_TYPE_WG_KEY);
			/* The -flags entry follows its secret. */
			g_assert_true (i + 1 < n_keys);
			g_assert_cmpstr (keys[i + 1].name, ==, flags);
			g_assert_cmpint (keys[i + 1].type, ==, NCU_KEY_TYPE_SECRET_FLAGS);
			g_assert_cmpint (keys[i + 1].flags, ==, info->flags & NCU_KEY_PER_PEER);
		}
	}
}

/* Forms no key of the table uses yet are checked too. */
static void
test_bool_type (void)
{
	const NcuKeyInfo info = { .name = "some-switch", .type = NCU_KEY_TYPE_BOOL,
	                          .summary = "A switch." };
	g_autoptr (GError) error = NULL;
	g_autofree char *allowed = ncu_schema_describe_allowed (&info);

	g_assert_cmpstr (allowed, ==, "yes or no");
	g_assert_true (ncu_schema_check_value (&info, "some-switch", "yes", &error));
	g_assert_true (ncu_schema_check_value (&info, "some-switch", "no", &error));
	g_assert_no_error (error);
	g_assert_false (ncu_schema_check_value (&info, "some-switch", "true", &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE);
	g_assert_true (g_str_has_prefix (error->message, "some-switch: "));
	g_clear_error (&error);
	g_assert_false (ncu_schema_check_value (&info, "some-switch", "Yes", &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE);
}

static void
test_long_values (void)
{
	g_autoptr (GHashTable) data = NULL;
	g_autoptr (GHashTable) secrets = NULL;
	g_autoptr (GError) error = NULL;
	g_autofree char *long_text = g_strnfill (4097, 'a');
	g_autofree char *long_topic = g_strnfill (1025, 'a');

	base_profile (&data, &secrets);
	g_hash_table_insert (secrets, g_strdup ("signaling-password"), g_strdup (long_text));
	g_assert_false (ncu_profile_validate (data, secrets, 0, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE);
	g_assert_true (g_str_has_prefix (error->message, "signaling-password: "));
	g_assert_null (strstr (error->message, "aaaa"));
	g_clear_error (&error);

	long_text[4096] = '\0';
	g_hash_table_insert (secrets, g_strdup ("signaling-password"), g_strdup (long_text));
	g_assert_true (ncu_profile_validate (data, secrets, 0, &error));
	g_assert_no_error (error);

	g_hash_table_insert (data, g_strdup ("signaling-topic-prefix"), g_strdup (long_topic));
	g_assert_false (ncu_profile_validate (data, secrets, 0, &error));
	g_assert_error (error, NCU_ERROR, NCU_ERROR_INVALID_VALUE);
	g_assert_true (g_str_has_prefix (error->message, "signaling-topic-prefix: "));
	/* Long values are shortened when quoted. */
	g_assert_cmpuint (strlen (error->message), <, 400);
}

int
main (int argc, char **argv)
{
	gsize i;

	g_test_init (&argc, &argv, NULL);
	g_test_add_func ("/schema/base-profile", test_base_profile_is_good);
	g_test_add_func ("/schema/secrets-optional", test_secrets_optional);
	g_test_add_func ("/schema/first-error-stable", test_first_error_is_stable);
	g_test_add_func ("/schema/lookup", test_lookup);
	g_test_add_func ("/schema/table", test_table);
	g_test_add_func ("/schema/bool", test_bool_type);
	g_test_add_func ("/schema/long-values", test_long_values);
	for (i = 0; i < G_N_ELEMENTS (bad_cases); i++) {
		g_autofree char *path = g_strdup_printf ("/schema/bad/%s", bad_cases[i].name);

		g_test_add_data_func (path, &bad_cases[i], test_bad_profile);
	}
	return g_test_run ();
}
