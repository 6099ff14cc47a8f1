#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The README's five-minute walkthrough, run from the README itself: the
# code blocks marked <!-- walkthrough: NAME --> are taken as they are
# (without `sudo`, the passwords filled in). In the test bed:
#   - the broker and the TURN server run in wan with the configuration
#     files the README writes (its heredocs; mosquitto's password file is
#     made with -b instead of the README's prompt);
#   - alice is hostA, bob is hostB, each in its own NetworkManager, where
#     broker.example.org and turn.example.org resolve to wan (a private
#     /etc/hosts in the NetworkManager's mount namespace);
#   - the key, profile and connect blocks run there as written, then the
#     check block (ping and nm-cunicu-status) on alice.
# With --nat-b symmetric (the README's relay case) bob sits behind a
# symmetric NAT and the path must use the TURN server.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib-e2e.sh"

nat_b=cone
[[ ${1:-} == --nat-b ]] && nat_b=$2
readme=$top_srcdir/README.md
broker_password=broker-secret-$$
turn_password=turn-secret-$$

tb_init
e2e_require_built
tb_require mosquitto mosquitto_passwd turnserver wg

# block NAME: the code block after <!-- walkthrough: NAME -->, without sudo.
block() {
	awk -v marker="<!-- walkthrough: $1 -->" '
		$0 == marker { found = 1; next }
		found && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }
	' "$readme" | sed -e 's/^sudo //' -e 's/ && sudo / \&\& /g' \
		-e "s/BROKER_PASSWORD/$broker_password/g" -e "s/TURN_PASSWORD/$turn_password/g"
}
# heredoc NAME: the body of the first <<'EOF' ... EOF of block NAME.
heredoc() {
	block "$1" | awk '/<<.EOF.$/ { inside = 1; next } inside && /^EOF$/ { exit } inside { print }'
}
for name in broker turn keys-alice profile-alice profile-bob up check; do
	[[ -n $(block "$name") ]] || tb_fail "README.md has no walkthrough block '$name'"
done

tb_topology --nat-a cone --nat-b "$nat_b"

# The servers, configured as the README configures them. The directory
# must be readable by the mosquitto user (mosquitto drops privileges
# before it reads its password file).
srv=$(mktemp -d /tmp/ncu-walkthrough.XXXXXX)
tb_at_cleanup "rm -rf '$srv'"
chmod 0755 "$srv"
mkdir -m 0755 "$srv/conf.d"
heredoc broker | sed "s|/etc/mosquitto/passwd|$srv/passwd|" >"$srv/conf.d/cunicu.conf"
printf 'persistence false\ninclude_dir %s/conf.d\n' "$srv" >"$srv/mosquitto.conf"
mosquitto_passwd -c -b "$srv/passwd" mesh "$broker_password" >/dev/null
chown root:mosquitto "$srv/passwd"
chmod 0640 "$srv/passwd"
tb_spawn wan mosquitto mosquitto -c "$srv/mosquitto.conf"
heredoc turn >"$srv/turnserver.conf"
grep -q "^user=mesh:$turn_password\$" "$srv/turnserver.conf" || tb_fail "the README's turnserver.conf has no user=mesh:TURN_PASSWORD"
tb_spawn wan turnserver turnserver -c "$srv/turnserver.conf" --userdb "$TB_TMP/walkthrough-turndb" \
	--pidfile "$TB_TMP/walkthrough-turn.pid"
tb_wait_until 10 "the README's mosquitto to accept the mesh user" \
	tb_exec wan mosquitto_pub -h "$TB_WAN_IP1" -u mesh -P "$broker_password" -t probe -m x
tb_wait_until 10 "the README's coturn to allocate for the mesh user" \
	tb_exec hostA "$(tb_stun_probe)" allocate "$TB_WAN_IP1:3478" "mesh:$turn_password"

tb_start_nm hostA
tb_start_nm hostB
printf '%s broker.example.org turn.example.org\n127.0.0.1 localhost\n' "$TB_WAN_IP1" >"$TB_TMP/hosts"
declare -A dir=([hostA]=$TB_TMP/alice [hostB]=$TB_TMP/bob)
for h in hostA hostB; do
	tb_nm_exec "$h" mount --bind "$TB_TMP/hosts" /etc/hosts
	mkdir -p "${dir[$h]}"
done

# on HOST BLOCK-TEXT: run the text in HOST's NetworkManager, in its directory.
on() {
	local host=$1 text=$2
	(cd "${dir[$host]}" && tb_nm_exec "$host" bash -euc "$text") ||
		tb_fail "$host: the README's commands failed: $text"
}
on hostA "$(block keys-alice)"
on hostB "$(block keys-alice | sed 's/alice/bob/g')"
cp "${dir[hostA]}/alice.pub" "${dir[hostB]}/"
cp "${dir[hostB]}/bob.pub" "${dir[hostA]}/"
on hostA "$(block profile-alice)"
on hostB "$(block profile-bob)"
on hostA "$(block up)" &
up_a=$!
on hostB "$(block up)"
wait "$up_a" || tb_fail "alice: nmcli connection up failed"

e2e_wait_ping hostA 10.99.0.2 15 >/dev/null
on hostA "$(block check | sed "s|^nm-cunicu-status|$(e2e_status_program)|")"
path=$(e2e_peer_field hostA bob path)
remote=$(e2e_peer_field hostA bob remote-type)
if [[ $nat_b == symmetric ]]; then
	[[ $path == relay || $remote == relay ]] || tb_fail "behind a symmetric NAT the path is $path -> $remote, not through the TURN server"
else
	[[ $path == srflx || $path == host || $path == prflx ]] || tb_fail "alice reaches bob over '$path', expected a direct path"
fi
echo "PASS: the README's walkthrough connects alice and bob ($nat_b NAT: $path -> $remote)"
