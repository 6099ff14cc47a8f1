# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/testbed/lib-nm.sh: a private NetworkManager (with its own system bus)
# per host, the plugin installed into it, and running commands inside it
# (sourced by lib.sh). The namespaces are set up by nm-init.sh.

declare -gA TB__NM_UNSHARE=()   # host role -> PID of the unshare process (our child)

# tb__nm_conf: NetworkManager.conf of a private instance.
tb__nm_conf() {
	cat <<EOF
[main]
plugins=keyfile
dns=none
rc-manager=unmanaged
hostname-mode=none
no-auto-default=*
auth-polkit=false

[logging]
level=${TB_NM_LOG_LEVEL:-DEBUG}

[connectivity]
enabled=false
EOF
}

# tb__nm_eth0_keyfile HOST: the ethernet profile that gives VPNs an active
# base device; same address as the topology gave eth0.
tb__nm_eth0_keyfile() {
	local addr=${TB_ADDR[$1]}
	cat <<EOF
[connection]
id=$TB_PREFIX-eth0
uuid=$(cat /proc/sys/kernel/random/uuid)
type=ethernet
interface-name=eth0
autoconnect=true

[ethernet]

[ipv4]
method=manual
address1=$addr/24,${addr%.*}.1

[ipv6]
method=disabled
EOF
}

# tb_bus_conf SOCKET [open]: the configuration of a private system bus
# listening on SOCKET, with the repo's policy (tb__plugin_dbus_conf). By
# default a bus like Debian's (default deny for owning names and method
# calls) that also holds NetworkManager's policies: tb_start_nm's. With
# "open" the default policy allows everything and NetworkManager's
# policies stay out, so the repo's policy alone decides
# (tests/security/test-dbus.sh).
tb_bus_conf() {
	local socket=$1 verdict=deny includedir='<includedir>/usr/share/dbus-1/system.d</includedir>'
	if [[ ${2:-} == open ]]; then
		verdict=allow
		includedir=""
	fi
	cat <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <auth>EXTERNAL</auth>
  <listen>unix:path=$socket</listen>
  <policy context="default">
    <allow user="*"/>
    <$verdict own="*"/>
    <$verdict send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  $includedir
  <include>$(tb__plugin_dbus_conf)</include>
</busconfig>
EOF
}

# The plugin under test comes from the build tree, or, with TB_PLUGIN_ROOT
# set, from an installed tree: a directory holding usr/... as the Debian
# packages install it (e.g. both .debs unpacked with dpkg-deb -x). Its own
# .name file and D-Bus policy are used then, with their absolute paths
# moved under TB_PLUGIN_ROOT.
tb__plugin_dbus_conf() {
	if [[ -n ${TB_PLUGIN_ROOT:-} ]]; then
		echo "$TB_PLUGIN_ROOT/usr/share/dbus-1/system.d/nm-cunicu-service.conf"
	else
		echo "$top_srcdir/data/nm-cunicu-service.conf"
	fi
}

# tb_install_plugin HOST: write nm-cunicu-service.name into HOST's private
# /usr/lib/NetworkManager/VPN, made from data/nm-cunicu-service.name.in with
# program= a wrapper that runs $top_builddir/src/nm-cunicu-service (under
# $TB_SERVICE_WRAPPER, e.g. valgrind, when set; with --debug when
# TB_SERVICE_DEBUG is set) with stderr in service.log, and
# plugin=$top_builddir/properties/.libs/libnm-vpn-plugin-cunicu.so
# (root-owned, mode 0644: NetworkManager skips other files silently).
# With TB_PLUGIN_ROOT set, the installed tree's
# usr/lib/NetworkManager/VPN/nm-cunicu-service.name is used instead, its
# program= run (through the same wrapper) and its plugin= loaded from
# under TB_PLUGIN_ROOT.
# tb_start_nm calls it before NetworkManager starts.
tb_install_plugin() {
	local host=$1 in=$top_srcdir/data/nm-cunicu-service.name.in out wrapper program
	out=$TB_TMP/nm-$host/vpn/nm-cunicu-service.name
	[[ -r $in ]] || tb_fail "$in not found"
	mkdir -p "${out%/*}"
	# NetworkManager asks VPN services to log to syslog, which the bed does
	# not run; the wrapper keeps their stderr in service.log beside
	# NetworkManager's log instead (tb_dump_logs shows it).
	wrapper=$TB_TMP/nm-$host/vpn/nm-cunicu-service
	program=$top_builddir/src/nm-cunicu-service
	if [[ -n ${TB_PLUGIN_ROOT:-} ]]; then
		in=$TB_PLUGIN_ROOT/usr/lib/NetworkManager/VPN/nm-cunicu-service.name
		[[ -r $in ]] || tb_fail "TB_PLUGIN_ROOT=$TB_PLUGIN_ROOT has no usr/lib/NetworkManager/VPN/nm-cunicu-service.name"
		program=$TB_PLUGIN_ROOT$(sed -n 's/^program=//p' "$in")
		[[ -x $program ]] || tb_fail "$in names program=${program#"$TB_PLUGIN_ROOT"}, not in TB_PLUGIN_ROOT"
	fi
	cat >"$wrapper" <<-WRAPPER
	#!/bin/sh
	exec env -u NM_VPN_LOG_SYSLOG ${TB_SERVICE_WRAPPER:-} "$program" "\$@" ${TB_SERVICE_DEBUG:+--debug} 2>>"$TB_TMP/nm-$host/service.log"
	WRAPPER
	chown root:root "$wrapper"
	chmod 0755 "$wrapper"
	if [[ -n ${TB_PLUGIN_ROOT:-} ]]; then
		sed -e "s|^program=.*|program=$wrapper|" \
		    -e "s|^plugin=/|plugin=$TB_PLUGIN_ROOT/|" "$in" >"$out"
	else
		sed -e "s|@LIBEXECDIR@|${wrapper%/*}|g" \
		    -e "s|@PLUGINDIR@|$top_builddir/properties/.libs|g" "$in" >"$out"
	fi
	grep -q '@[A-Z_]*@' "$out" && tb_fail "$in has placeholders tb_install_plugin does not know"
	chown root:root "$out"
	chmod 0644 "$out"
}

# tb__nm_find_pid1 HOST: find the NetworkManager namespace's PID 1 (the
# unshare process's only child) and record it in TB_NM_PID.
tb__nm_find_pid1() {
	local host=$1 upid=${TB__NM_UNSHARE[$1]} child="" f stat
	tb__alive "$upid" || tb_fail "NetworkManager namespace of $host exited at start (see nm-$host/*.log)"
	if [[ -r /proc/$upid/task/$upid/children ]]; then
		read -r child _ <"/proc/$upid/task/$upid/children"
	else
		for f in /proc/[0-9]*/stat; do
			stat=$(cat "$f" 2>/dev/null) || continue
			stat=${stat##*) }
			read -r _ ppid _ <<<"$stat"
			[[ $ppid == "$upid" ]] && { child=${f#/proc/}; child=${child%/stat}; break; }
		done
	fi
	[[ -n $child ]] || return 1
	# the child is PID 1 of the new PID namespace only after unshare forked it
	[[ $(readlink "/proc/$child/ns/pid") != $(readlink "/proc/$upid/ns/pid") ]] || return 1
	TB_NM_PID[$host]=$child
	tb__track "$child"
}

tb__nm_answers() {
	tb__alive "${TB__NM_UNSHARE[$1]}" || tb_fail "NetworkManager of $1 exited at start (see nm-$1/*.log)"
	tb_nmcli "$1" -t general status
}

# tb_start_nm HOST: start a private NetworkManager + system bus for HOST
# (DESIGN.md section 8; nm-init.sh is its PID 1), with the plugin installed
# (tb_install_plugin) and an ethernet profile "ncutb-eth0" activated on eth0.
# Returns when `nmcli general status` answers and eth0 is activated. State:
# $TB_TMP/nm-HOST/{etc,var,vpn}; logs: nm-HOST/NetworkManager.log, dbus.log.
# TB_NM_PID[HOST] is then the host PID of its PID 1. Timed as "NetworkManager HOST".
# Calling it again after tb_stop_nm restarts it with the same profiles.
tb_start_nm() {
	local host=$1
	tb_require NetworkManager nmcli dbus-daemon
	[[ $host == host* && -n ${TB_ADDR[$host]:-} ]] || tb_fail "tb_start_nm: no host '$host' in the topology"
	[[ -z ${TB_NM_PID[$host]:-} ]] || tb_fail "tb_start_nm: NetworkManager of $host already runs"
	tb_step "NetworkManager $host" tb__start_nm "$host"
}

tb__start_nm() {
	local host=$1 dir keyfile
	dir=$TB_TMP/nm-$host
	mkdir -p "$dir/etc/system-connections" "$dir/etc/conf.d" "$dir/var" "$dir/vpn"
	TB_NM_DIR[$host]=$dir
	tb__nm_conf >"$dir/etc/NetworkManager.conf"
	keyfile=$dir/etc/system-connections/$TB_PREFIX-eth0.nmconnection
	if [[ ! -e $keyfile ]]; then
		tb__nm_eth0_keyfile "$host" >"$keyfile"
		chmod 0600 "$keyfile"
	fi
	tb_bus_conf /run/dbus/system_bus_socket >"$dir/bus.conf"
	tb_install_plugin "$host"
	tb_spawn "$host" "nm-$host/init" unshare --mount --uts --pid --fork --kill-child \
		--mount-proc --propagation private bash "$TB_LIBDIR/nm-init.sh" "$dir" "$host"
	TB__NM_UNSHARE[$host]=$TB_LAST_PID
	tb_wait_until 10 "the namespaces of $host's NetworkManager" tb__nm_find_pid1 "$host"
	tb_wait_until 20 "$host's NetworkManager to answer 'nmcli general status'" tb__nm_answers "$host"
	tb_wait_until 20 "$host's eth0 profile to activate" \
		tb_nmcli "$host" --wait 10 connection up "$TB_PREFIX-eth0"
}

# tb_stop_nm HOST: stop HOST's NetworkManager gracefully (SIGTERM to its PID 1;
# it disconnects VPNs), wait until its namespaces are gone (SIGKILL after 10 s).
tb_stop_nm() {
	local host=$1
	[[ -n ${TB_NM_PID[$host]:-} ]] || tb_fail "tb_stop_nm: NetworkManager of $host is not running"
	tb__ours "${TB_NM_PID[$host]}" && kill -TERM "${TB_NM_PID[$host]}" 2>/dev/null
	tb_stop "${TB__NM_UNSHARE[$host]}" 10
	unset "TB_NM_PID[$host]" "TB__NM_UNSHARE[$host]"
}

# tb_nm_exec HOST COMMAND...: run COMMAND inside HOST's NetworkManager
# namespaces (mount, net, PID, UTS of its PID 1, found by PID), in the
# current directory. Sees the private /run, /etc/NetworkManager, system bus.
tb_nm_exec() {
	local host=$1
	shift
	[[ -n ${TB_NM_PID[$host]:-} ]] || tb_fail "tb_nm_exec: no NetworkManager runs on '$host'"
	nsenter --target "${TB_NM_PID[$host]}" --mount --net --pid --uts --wd="$PWD" -- "$@"
}

# tb_nmcli HOST ARGS...: nmcli inside HOST's NetworkManager namespaces.
tb_nmcli() {
	local host=$1
	shift
	tb_nm_exec "$host" nmcli "$@"
}
