#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Test-bed self-test (b): coturn allocates a relay (TURN Allocate with the
# long-term credential) for a host behind each NAT kind, returns a relayed
# address in 203.0.113.0/24 and the NAT's address as the mapped one; a wrong
# password is refused; the same with the TURN REST API (--auth-secret), where
# an expired credential is refused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tb_init
tb_require turnserver
tb_topology --nat-a cone --nat-b symmetric
tb_start_coturn
probe=$(tb_stun_probe)
server=$TB_WAN_IP1:$TB_TURN_PORT

for host in hostA hostB; do
	nat=${TB_NAT_OF[$host]}
	out=$(tb_exec "$host" "$probe" allocate "$server" "$TB_TURN_USER:$TB_TURN_PASSWORD") ||
		tb_fail "TURN allocation for $host failed"
	echo "$out"
	read -r _ _ _ _ _ mapped _ relayed _ <<<"$out"
	[[ $relayed =~ ^203\.0\.113\.[0-9]+:[0-9]+$ ]] ||
		tb_fail "$host: relayed address '$relayed' is not in 203.0.113.0/24"
	[[ ${mapped%:*} == "${TB_ADDR[$nat]}" ]] ||
		tb_fail "$host: mapped address '$mapped' is not $nat's ${TB_ADDR[$nat]}"
	echo "PASS: relay $relayed for $host behind ${TB_NAT_KIND[$nat]} $nat (mapped $mapped)"
done

if err=$(tb_exec hostA "$probe" allocate "$server" "$TB_TURN_USER:wrong-password" 2>&1); then
	tb_fail "coturn allocated a relay with a wrong password: $err"
fi
[[ $err == *"credentials rejected"* ]] || tb_fail "wrong password: unexpected error '$err'"
echo "PASS: wrong password refused ($err)"

# The TURN REST API (tb_start_coturn --auth-secret): credentials made from
# the shared secret allocate until their expiry time; after it, and with
# the fixed user, coturn refuses.
tb_stop_coturn
tb_start_coturn --auth-secret "testbed-auth-secret-$$"
now=$(date +%s)
out=$(tb_exec hostA "$probe" allocate "$server" "$(tb_turn_rest_credential $((now + 60)) "$TB_TURN_USER")") ||
	tb_fail "TURN allocation with a REST credential failed"
echo "PASS: REST credential valid for 60 s allocates ($out)"
out=$(tb_exec hostA "$probe" allocate "$server" "$(tb_turn_rest_credential $((now + 60)))") ||
	tb_fail "TURN allocation with a REST credential without user failed"
echo "PASS: REST credential without user allocates"
for credential in "$(tb_turn_rest_credential $((now - 1)) "$TB_TURN_USER")" \
	"$TB_TURN_USER:$TB_TURN_PASSWORD"; do
	if err=$(tb_exec hostA "$probe" allocate "$server" "$credential" 2>&1); then
		tb_fail "coturn allocated a relay for ${credential%:*}: $err"
	fi
	[[ $err == *"credentials rejected"* ]] || tb_fail "${credential%:*}: unexpected error '$err'"
	echo "PASS: ${credential%:*} refused ($err)"
done
