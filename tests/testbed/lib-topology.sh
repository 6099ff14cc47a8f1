# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/testbed/lib-topology.sh: the namespaces, links, addresses and
# firewalls of the test bed (sourced by lib.sh; see README.md for the picture).
#
#   wan     bridge br0 with 203.0.113.1/24 and .2/24; default route into a
#           veth whose only neighbour is a permanent fake one, so packets to
#           anywhere else vanish silently (coturn drops allocations whose
#           sends fail with ENETUNREACH).
#   natX    wan0 = 203.0.113.10/.20/.30 (A/B/C), bridge lan0 = 192.168.N.1/24,
#           nftables masquerade ("cone") or masquerade fully-random
#           ("symmetric"); input policy drop (established, lo, LAN accepted);
#           forward: LAN -> wan and established only.
#   hostX   eth0 = 192.168.N.2/24 (hostA2: 192.168.1.3), default via the NAT;
#           a desktop's stateful firewall (input policy drop; established,
#           related, lo and ICMP accepted; invalid dropped).
# IPv6 is disabled in every namespace.

# The topology is planned first and then built with few processes (a
# process per step would cost ~10 ms each on a loaded machine):
#   1. one `ip -batch` adds every namespace;
#   2. one `ip netns exec` per namespace sets its sysctls (IPv6 off before
#      any link exists) and loads its nftables ruleset;
#   3. one `ip -batch` creates every veth pair directly inside its two
#      namespaces (the host's namespace never sees them);
#   4. one `ip -n <ns> -batch` per namespace configures its links.
declare -gA TB__SYSCTL=()       # role -> extra sysctls (name=value ...)
declare -gA TB__NFT=()          # role -> nftables ruleset
declare -gA TB__BATCH=()        # role -> `ip -batch` lines run in its namespace
TB__LINKS=""                    # `ip -batch` lines creating the veth pairs

# Run in each new namespace as `sh -c "$TB__NS_SETUP" NFT-FILE SYSCTL...`.
# Where br_netfilter is loaded (its sysctls are then per namespace, default
# on), bridged frames would cross the IP hooks: the NAT's forward chain would
# drop LAN-to-LAN traffic no home router filters. Switch that off.
TB__NS_SETUP='
	sysctl -q -w "$@" >/dev/null || exit 1
	if [ -d /proc/sys/net/bridge ]; then
		sysctl -q -w net.bridge.bridge-nf-call-iptables=0 \
			net.bridge.bridge-nf-call-ip6tables=0 \
			net.bridge.bridge-nf-call-arptables=0 >/dev/null || exit 1
	fi
	[ ! -s "$0" ] || nft -f "$0"'

# tb__plan_ns ROLE [SYSCTL...]: plan ROLE's namespace with IPv6 disabled and lo up.
tb__plan_ns() {
	local role=$1
	shift
	TB_ROLES+=("$role")
	TB__SYSCTL[$role]="net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 $*"
	TB__BATCH[$role]="link set dev lo up"$'\n'
}

# tb__q ROLE LINE: queue an `ip` command (without "ip") for ROLE's namespace.
tb__q() {
	TB__BATCH[$1]+="$2"$'\n'
}

# tb__plan_veth ROLE1 IF1 ROLE2 IF2: a veth pair, IF1 in ROLE1 and IF2 in ROLE2, both up.
tb__plan_veth() {
	TB__LINKS+="link add name $2 netns $(tb_ns "$1") type veth peer name $4 netns $(tb_ns "$3")"$'\n'
	tb__q "$1" "link set dev $2 up"
	tb__q "$3" "link set dev $4 up"
}

# tb__ip_batch [ARGS...] < LINES: run `ip ARGS -batch -`, failing with its error.
tb__ip_batch() {
	local err
	err=$(ip "$@" -batch - 2>&1) || tb_fail "ip $* -batch failed: $err"
}

# tb__build_planned: create what the tb__plan_* functions planned.
tb__build_planned() {
	local role ns add=""
	for role in "${TB_ROLES[@]}"; do
		add+="netns add $(tb_ns "$role")"$'\n'
	done
	tb__ip_batch <<<"$add"
	for role in "${TB_ROLES[@]}"; do
		ns=$(tb_ns "$role")
		if [[ -n ${TB__NFT[$role]:-} ]]; then
			printf '%s\n' "${TB__NFT[$role]}" >"$TB_TMP/nft-$role.conf"
		else
			: >"$TB_TMP/nft-$role.conf"
		fi
		# shellcheck disable=SC2086 # the sysctl list is split on purpose
		ip netns exec "$ns" sh -c "$TB__NS_SETUP" "$TB_TMP/nft-$role.conf" ${TB__SYSCTL[$role]} ||
			tb_fail "sysctl or nftables setup of $ns failed (see $TB_TMP/nft-$role.conf)"
	done
	tb__ip_batch <<<"$TB__LINKS"
	for role in "${TB_ROLES[@]}"; do
		tb__ip_batch -n "$(tb_ns "$role")" <<<"${TB__BATCH[$role]}"
	done
}

# tb__plan_wan: the wan namespace with its bridge and the dropping default route.
tb__plan_wan() {
	tb__plan_ns wan net.ipv4.ip_forward=1
	tb__q wan "link add name br0 type bridge"
	tb__q wan "addr add $TB_WAN_IP1/24 dev br0"
	tb__q wan "addr add $TB_WAN_IP2/24 dev br0"
	tb__q wan "link set dev br0 up"
	tb__q wan "link add name drop0 type veth peer name drop1"
	tb__q wan "addr add 198.51.100.1/30 dev drop0"
	tb__q wan "link set dev drop0 up"
	tb__q wan "link set dev drop1 up"
	tb__q wan "neigh add 198.51.100.2 lladdr 02:00:00:00:00:01 dev drop0 nud permanent"
	tb__q wan "route add default via 198.51.100.2 dev drop0"
	TB_ADDR[wan]=$TB_WAN_IP1
}

# tb__nat_ruleset KIND: the router's nftables ruleset.
tb__nat_ruleset() {
	local masq=masquerade
	[[ $1 == symmetric ]] && masq="masquerade fully-random"
	cat <<EOF
table ip $TB_PREFIX {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		iifname "lo" accept
		iifname "lan0" accept
	}
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		iifname "lan0" oifname "wan0" accept
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan0" $masq
	}
}
EOF
}

# tb__plan_router ROLE N OUTSIDE KIND: a NAT router ROLE with outside
# address OUTSIDE, inside bridge lan0 192.168.N.1/24, connected to wan's
# bridge.
tb__plan_router() {
	local role=$1 n=$2 outside=$3 kind=$4
	case $kind in cone | symmetric) ;; *) tb_fail "NAT kind '$kind': expected cone or symmetric" ;; esac
	tb__plan_ns "$role" net.ipv4.ip_forward=1
	tb__q "$role" "link add name lan0 type bridge"
	tb__q "$role" "addr add 192.168.$n.1/24 dev lan0"
	tb__q "$role" "link set dev lan0 up"
	tb__plan_veth "$role" wan0 wan "p-$role"
	tb__q wan "link set dev p-$role master br0"
	tb__q "$role" "addr add $outside/24 dev wan0"
	tb__q "$role" "route add default via $TB_WAN_IP1 dev wan0"
	TB__NFT[$role]=$(tb__nat_ruleset "$kind")
	TB_ADDR[$role]=$outside
	TB_NAT_KIND[$role]=$kind
}

# tb__plan_nat LETTER KIND: router natLETTER, outside 203.0.113.<10*n>,
# inside bridge lan0 192.168.<n>.1/24, connected to wan's bridge.
tb__plan_nat() {
	local letter=$1 kind=$2 n
	case $letter in A) n=1 ;; B) n=2 ;; C) n=3 ;; *) tb_fail "unknown NAT $letter" ;; esac
	tb__plan_router "nat$letter" "$n" "203.0.113.$((10 * n))" "$kind"
}

# tb__host_ruleset: a desktop's stateful firewall.
tb__host_ruleset() {
	cat <<EOF
table inet $TB_PREFIX {
	chain input {
		type filter hook input priority filter; policy drop;
		ct state established,related accept
		ct state invalid drop
		iifname "lo" accept
		meta l4proto icmp accept
		meta l4proto ipv6-icmp accept
	}
}
EOF
}

# tb__plan_host ROLE NAT ADDRESS: a host with eth0 on NAT's LAN bridge.
tb__plan_host() {
	local role=$1 nat=$2 addr=$3
	tb__plan_ns "$role"
	tb__plan_veth "$role" eth0 "$nat" "p-$role"
	tb__q "$nat" "link set dev p-$role master lan0"
	tb__q "$role" "addr add $addr/24 dev eth0"
	tb__q "$role" "route add default via ${addr%.*}.1 dev eth0"
	TB__NFT[$role]=$(tb__host_ruleset)
	TB_HOSTS+=("$role")
	TB_ADDR[$role]=$addr
	TB_NAT_OF[$role]=$nat
}

# tb_topology [--nat-a KIND] [--nat-b KIND] [--nat-c KIND] [--lan] [--nat-a2 KIND]
#   Build wan, natA + hostA, natB + hostB (KIND cone or symmetric, default
#   cone). --nat-c adds natC (203.0.113.30) + hostC (192.168.3.2); --lan adds
#   hostA2 (192.168.1.3) on hostA's LAN; --nat-a2 adds natA2, a second
#   router with natA's LAN plan (192.168.1.1/24) but outside 203.0.113.12
#   and nobody plugged in (another home network, for tb_replug). Timed as
#   "topology".
tb_topology() {
	local a=cone b=cone c="" a2=""
	local lan=0
	while (($#)); do
		case $1 in
		--nat-a) a=$2; shift 2 ;;
		--nat-b) b=$2; shift 2 ;;
		--nat-c) c=$2; shift 2 ;;
		--nat-a2) a2=$2; shift 2 ;;
		--lan) lan=1; shift ;;
		*) tb_fail "tb_topology: unknown option '$1'" ;;
		esac
	done
	tb_step topology tb__build_topology "$a" "$b" "$c" "$lan" "$a2"
}

tb__build_topology() {
	((${#TB_ROLES[@]} == 0)) || tb_fail "tb_topology: the topology is already built"
	tb__plan_wan
	tb__plan_nat A "$1"
	tb__plan_host hostA natA 192.168.1.2
	tb__plan_nat B "$2"
	tb__plan_host hostB natB 192.168.2.2
	if [[ -n $3 ]]; then
		tb__plan_nat C "$3"
		tb__plan_host hostC natC 192.168.3.2
	fi
	if (($4)); then
		tb__plan_host hostA2 natA 192.168.1.3
	fi
	if [[ -n ${5:-} ]]; then
		tb__plan_router natA2 1 203.0.113.12 "$5"
	fi
	tb__build_planned
}

# tb_firewall_accept HOST NFT-MATCH...: let HOST's firewall accept more
# (e.g. tb_firewall_accept hostA iifname "wg0" tcp dport 5201).
tb_firewall_accept() {
	local role=$1
	shift
	tb_exec "$role" nft add rule inet "$TB_PREFIX" input "$@" accept ||
		tb_fail "nft rule '$*' on $role was rejected"
}

# tb_nat_readdress NAT ADDRESS: give NAT router NAT a new outside address
# in 203.0.113.0/24 (as an ISP does to a home router): the old one and
# every mapping made with it are gone (masquerade forgets them), the next
# outbound packets leave from ADDRESS. Updates TB_ADDR[NAT].
tb_nat_readdress() {
	local nat=$1 addr=$2
	[[ $nat == nat* && -n ${TB_ADDR[$nat]:-} ]] || tb_fail "tb_nat_readdress: no NAT '$nat'"
	tb__ip_batch -n "$(tb_ns "$nat")" <<-EOF
	addr flush dev wan0
	addr add $addr/24 dev wan0
	route replace default via $TB_WAN_IP1 dev wan0
	EOF
	TB_ADDR[$nat]=$addr
}

# tb_replug HOST NAT: move HOST's cable from its router's LAN to router
# NAT's (HOST's eth0 loses carrier for a moment and keeps its addresses:
# new ones are the caller's business, as DHCP's would be). Updates
# TB_NAT_OF[HOST].
tb_replug() {
	local host=$1 nat=$2 old=${TB_NAT_OF[$1]:-}
	[[ -n $old ]] || tb_fail "tb_replug: no host '$host'"
	[[ $nat == nat* && -n ${TB_ADDR[$nat]:-} ]] || tb_fail "tb_replug: no NAT '$nat'"
	ip -n "$(tb_ns "$old")" link set dev "p-$host" netns "$(tb_ns "$nat")" ||
		tb_fail "tb_replug: cannot move p-$host from $old to $nat"
	ip -n "$(tb_ns "$nat")" link set dev "p-$host" master lan0 up ||
		tb_fail "tb_replug: cannot plug p-$host into $nat's LAN"
	TB_NAT_OF[$host]=$nat
}

# tb_describe: a human-readable summary of the topology on stdout.
tb_describe() {
	local role
	printf '%-8s %-22s %s\n' ROLE NAMESPACE ADDRESS
	for role in "${TB_ROLES[@]}"; do
		case $role in
		wan) printf '%-8s %-22s %s\n' "$role" "$(tb_ns "$role")" "$TB_WAN_IP1, $TB_WAN_IP2 (coturn, mosquitto)" ;;
		nat*) printf '%-8s %-22s %s\n' "$role" "$(tb_ns "$role")" "${TB_ADDR[$role]} outside, NAT ${TB_NAT_KIND[$role]}" ;;
		*) printf '%-8s %-22s %s\n' "$role" "$(tb_ns "$role")" "${TB_ADDR[$role]} behind ${TB_NAT_OF[$role]}" ;;
		esac
	done
}
