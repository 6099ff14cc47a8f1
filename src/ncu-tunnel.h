/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One active connection: the WireGuard device, the signaling session and
 * one NcuPeer per configured peer. Set up step by step from the main loop,
 * torn down in reverse order; ncu_tunnel_free() is the only teardown and
 * leaves no interface, socket, process or retained message behind.
 */
#ifndef NCU_TUNNEL_H
#define NCU_TUNNEL_H

#include <glib.h>
#include "ncu-profile.h"

typedef struct _NcuTunnel NcuTunnel;

typedef struct {
	/* The device is up: pass these to NetworkManager (Config, Ip4Config,
	 * Ip6Config; ip4/ip6 NULL when that family has no address). */
	void (*configured) (GVariant *config, GVariant *ip4, GVariant *ip6, gpointer user_data);
	/* Setting up or running failed for good; @message says why. */
	void (*failed) (const char *message, gpointer user_data);
} NcuTunnelCallbacks;

/* Takes @profile. @uuid names the connection (for the interface name). */
NcuTunnel *ncu_tunnel_new (NcuProfile *profile, const char *uuid,
                           const NcuTunnelCallbacks *callbacks, gpointer user_data);
void ncu_tunnel_start (NcuTunnel *tunnel);
/* State for the status D-Bus API: a{sv} with "interface", "signaling"
 * (a{sv}) and "peers" (aa{sv}, one dict a peer). */
GVariant *ncu_tunnel_get_status (NcuTunnel *tunnel);
void ncu_tunnel_free (NcuTunnel *tunnel);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (NcuTunnel, ncu_tunnel_free)

/* The interface name for a connection: interface-name, or "ncu-" and
 * eight hex digits of a hash of the connection's UUID. */
char *ncu_tunnel_ifname_for (const NcuProfile *profile, const char *uuid);

#endif /* NCU_TUNNEL_H */
