/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ncu-bench-proxy: the cost per packet of the userspace proxy, each way.
 *
 * Two sides on loopback, each in a thread of its own with its own
 * GMainContext: an ICE session (libnice, host pair) and an NcuProxy, with a
 * plain UDP socket in the main thread standing in for each side's
 * WireGuard. The main thread sends WireGuard-sized datagrams from "wg A" in
 * bursts and drains them at "wg B"; the CPU time of side A's thread is the
 * egress cost (WireGuard -> proxy -> ICE socket), side B's the ingress cost
 * (ICE socket -> libnice -> proxy -> WireGuard). Then the other way round.
 *
 * Baseline, same packets, same run: the floor of any userspace relay, two
 * threads that each move datagrams from one UDP socket to another with
 * recvmmsg in batches of 32 and the proxy's own segmented sends
 * (ncu_udp_send), no GLib, no libnice.
 *
 * Output, one line per measurement:
 *   RESULT impl=proxy|floor dir=a-b|b-a egress_ns=X ingress_ns=Y packets=N lost=L wall_s=S
 * Under callgrind (valgrind --tool=callgrind --instr-atstart=no
 * --separate-threads=yes), only the phases are instrumented
 * (CALLGRIND_START/STOP_INSTRUMENTATION, which act on every thread): run
 * one phase per process (--floor-only, or --proxy-only --direction a-b)
 * and each thread's total is its cost for that phase.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <gio/gio.h>

#include "ncu-ice.h"
#include "ncu-proxy.h"
#include "ncu-udp.h"

/* Without valgrind's headers the phases are simply not marked. */
#if defined __has_include
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_START_INSTRUMENTATION
#define CALLGRIND_START_INSTRUMENTATION do { } while (0)
#define CALLGRIND_STOP_INSTRUMENTATION do { } while (0)
#endif

#define BURST 64
#define FLOOR_BATCH 32
#define STALL_MS 1000

/* ---- plain sockets ---- */

typedef struct {
	int fd;
	guint16 port;
} Sock;

static void
sock_open (Sock *s)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
	socklen_t len = sizeof addr;
	int size = 4 * 1024 * 1024;

	s->fd = socket (AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind (s->fd, (struct sockaddr *) &addr, sizeof addr) < 0
	    || getsockname (s->fd, (struct sockaddr *) &addr, &len) < 0)
		g_error ("socket: %s", g_strerror (errno));
	setsockopt (s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
	setsockopt (s->fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
	s->port = ntohs (addr.sin_port);
}

static void
sock_connect (Sock *s, guint16 port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
	                          .sin_port = htons (port) };

	if (connect (s->fd, (struct sockaddr *) &to, sizeof to) < 0)
		g_error ("connect: %s", g_strerror (errno));
}

/* Reads everything queued; returns how many datagrams. */
static guint
sock_drain (Sock *s)
{
	static char buf[65536];
	guint n = 0;

	while (recv (s->fd, buf, sizeof buf, MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

static double
thread_cpu_ns (clockid_t clock)
{
	struct timespec ts;

	clock_gettime (clock, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* User and system CPU ticks of thread @tid (fields 14 and 15 of its stat). */
static void
thread_ticks (pid_t tid, guint64 *user, guint64 *sys)
{
	g_autofree char *path = g_strdup_printf ("/proc/self/task/%d/stat", (int) tid);
	g_autofree char *text = NULL;
	const char *p;
	guint64 u = 0, s = 0;

	*user = *sys = 0;
	if (!g_file_get_contents (path, &text, NULL, NULL) || !(p = strrchr (text, ')')))
		return;
	/* after ")": state is field 3; utime 14, stime 15 */
	if (sscanf (p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %" G_GUINT64_FORMAT
	            " %" G_GUINT64_FORMAT, &u, &s) == 2) {
		*user = u;
		*sys = s;
	}
}

/* CPU used by a thread: precise total and the user/system split. */
typedef struct {
	clockid_t clock;
	pid_t tid;
} ThreadId;

typedef struct {
	double ns;
	guint64 user, sys;
} CpuSample;

static void
thread_id_init (ThreadId *id)
{
	pthread_getcpuclockid (pthread_self (), &id->clock);
	id->tid = (pid_t) syscall (SYS_gettid);
}

static CpuSample
cpu_sample (const ThreadId *id)
{
	CpuSample s = { .ns = thread_cpu_ns (id->clock) };

	thread_ticks (id->tid, &s.user, &s.sys);
	return s;
}

/* ---- one proxy side ---- */

typedef struct {
	const char *name;
	GMainContext *context;
	GMainLoop *loop;
	GThread *thread;
	ThreadId cpu;
	gboolean started;
	NcuIce *ice;
	NcuProxy *proxy;
	Sock wg;                 /* the stand-in for this side's WireGuard */

	GMutex lock;             /* guards what the callbacks fill in */
	GCond cond;
	gboolean gathered;
	char *ufrag, *pwd;
	GStrv candidates;
	NcuIceState state;
	NcuIceCandidateType local_type;
} Side;

static void
on_gathered (NcuIce *ice, const char *ufrag, const char *pwd,
             const char *const *candidates, gpointer data)
{
	Side *side = data;

	g_mutex_lock (&side->lock);
	g_free (side->ufrag);
	g_free (side->pwd);
	g_strfreev (side->candidates);
	side->ufrag = g_strdup (ufrag);
	side->pwd = g_strdup (pwd);
	side->candidates = g_strdupv ((char **) candidates);
	side->gathered = TRUE;
	g_cond_broadcast (&side->cond);
	g_mutex_unlock (&side->lock);
}

static void
on_state (NcuIce *ice, NcuIceState state, gpointer data)
{
	Side *side = data;

	g_mutex_lock (&side->lock);
	side->state = state;
	g_cond_broadcast (&side->cond);
	g_mutex_unlock (&side->lock);
}

static void
on_pair (NcuIce *ice, const NcuIceSelectedPair *pair, gpointer data)
{
	Side *side = data;

	g_mutex_lock (&side->lock);
	side->local_type = pair->local_type;
	g_mutex_unlock (&side->lock);
}

static gpointer
side_thread (gpointer data)
{
	Side *side = data;

	g_main_context_push_thread_default (side->context);
	g_mutex_lock (&side->lock);
	thread_id_init (&side->cpu);
	side->started = TRUE;
	g_cond_broadcast (&side->cond);
	g_mutex_unlock (&side->lock);
	g_main_loop_run (side->loop);
	g_main_context_pop_thread_default (side->context);
	return NULL;
}

static void
side_init (Side *side, const char *name, gboolean controlling)
{
	static const NcuIceCallbacks callbacks = {
		.state_changed = on_state,
		.gathering_done = on_gathered,
		.selected_pair = on_pair,
	};
	NcuIceConfig config = { .loopback_only = TRUE };
	g_autoptr (GError) error = NULL;

	side->name = name;
	g_mutex_init (&side->lock);
	g_cond_init (&side->cond);
	side->context = g_main_context_new ();
	side->loop = g_main_loop_new (side->context, FALSE);
	sock_open (&side->wg);
	/* Built before the thread runs the context: nothing dispatches yet. */
	side->ice = ncu_ice_new (side->context, &config, controlling, &error);
	if (!side->ice)
		g_error ("%s: %s", name, error->message);
	ncu_ice_set_callbacks (side->ice, &callbacks, side);
	side->proxy = ncu_proxy_new (side->wg.port, side->ice, &error);
	if (!side->proxy || !ncu_ice_gather (side->ice, &error))
		g_error ("%s: %s", name, error->message);
	side->thread = g_thread_new (name, side_thread, side);
	g_mutex_lock (&side->lock);
	while (!side->started)
		g_cond_wait (&side->cond, &side->lock);
	g_mutex_unlock (&side->lock);
}

/* Runs @func in @side's thread and waits for it. */
typedef struct {
	Side *side;
	gpointer arg;
	void (*func) (Side *side, gpointer arg);
	gboolean done;
	GMutex lock;
	GCond cond;
} Call;

static gboolean
call_dispatch (gpointer data)
{
	Call *call = data;

	call->func (call->side, call->arg);
	g_mutex_lock (&call->lock);
	call->done = TRUE;
	g_cond_signal (&call->cond);
	g_mutex_unlock (&call->lock);
	return G_SOURCE_REMOVE;
}

static void
side_call (Side *side, void (*func) (Side *side, gpointer arg), gpointer arg)
{
	Call call = { .side = side, .arg = arg, .func = func };

	g_mutex_init (&call.lock);
	g_cond_init (&call.cond);
	g_main_context_invoke (side->context, call_dispatch, &call);
	g_mutex_lock (&call.lock);
	while (!call.done)
		g_cond_wait (&call.cond, &call.lock);
	g_mutex_unlock (&call.lock);
	g_mutex_clear (&call.lock);
	g_cond_clear (&call.cond);
}

static void
do_set_remote (Side *side, gpointer arg)
{
	Side *remote = arg;
	g_autoptr (GError) error = NULL;

	if (!ncu_ice_set_remote (side->ice, remote->ufrag, remote->pwd,
	                         (const char *const *) remote->candidates, &error))
		g_error ("%s: %s", side->name, error->message);
}

static void
do_ready (Side *side, gpointer arg)
{
	ncu_proxy_set_ready (side->proxy, TRUE);
}

static void
do_free (Side *side, gpointer arg)
{
	g_clear_pointer (&side->proxy, ncu_proxy_free);
	g_clear_pointer (&side->ice, ncu_ice_free);
}

static void
do_quit (Side *side, gpointer arg)
{
	g_main_loop_quit (side->loop);
}

/* Waits until @pred holds for @side (under its lock), at most 20 s. */
static gboolean
side_wait (Side *side, gboolean (*pred) (Side *side))
{
	gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
	gboolean ok;

	g_mutex_lock (&side->lock);
	while (!(ok = pred (side)) && g_cond_wait_until (&side->cond, &side->lock, deadline))
		;
	g_mutex_unlock (&side->lock);
	return ok;
}

static gboolean is_gathered (Side *side) { return side->gathered; }
static gboolean is_connected (Side *side) { return side->state == NCU_ICE_STATE_CONNECTED; }

static void
sides_connect (Side *a, Side *b)
{
	if (!side_wait (a, is_gathered) || !side_wait (b, is_gathered))
		g_error ("gathering did not finish");
	side_call (a, do_set_remote, b);
	side_call (b, do_set_remote, a);
	if (!side_wait (a, is_connected) || !side_wait (b, is_connected))
		g_error ("ICE did not connect");
	side_call (a, do_ready, NULL);
	side_call (b, do_ready, NULL);
}

static void
side_clear (Side *side)
{
	side_call (side, do_free, NULL);
	side_call (side, do_quit, NULL);
	g_thread_join (side->thread);
	g_main_loop_unref (side->loop);
	g_main_context_unref (side->context);
	close (side->wg.fd);
	g_free (side->ufrag);
	g_free (side->pwd);
	g_strfreev (side->candidates);
	g_mutex_clear (&side->lock);
	g_cond_clear (&side->cond);
}

/* ---- the floor: a minimal relay thread ---- */

typedef struct {
	Sock in;                 /* receives */
	Sock out;                /* sends, connected */
	pthread_t thread;
	ThreadId cpu;
	volatile gint started;
	volatile gint stop;
} Relay;

static void *
relay_thread (void *data)
{
	Relay *relay = data;
	static __thread char bufs[FLOOR_BATCH][2048];
	struct iovec iov[FLOOR_BATCH];
	struct mmsghdr msgs[FLOOR_BATCH];
	struct pollfd pfd = { .fd = relay->in.fd, .events = POLLIN };
	NcuUdpSender sender;
	guint64 bytes = 0;

	ncu_udp_sender_init (&sender);
	thread_id_init (&relay->cpu);
	g_atomic_int_set (&relay->started, 1);
	while (!g_atomic_int_get (&relay->stop)) {
		int n;

		if (poll (&pfd, 1, 100) <= 0)
			continue;
		do {
			for (int i = 0; i < FLOOR_BATCH; i++) {
				iov[i].iov_base = bufs[i];
				iov[i].iov_len = sizeof bufs[i];
				memset (&msgs[i], 0, sizeof msgs[i]);
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			n = recvmmsg (relay->in.fd, msgs, FLOOR_BATCH, MSG_DONTWAIT, NULL);
			if (n <= 0)
				break;
			for (int i = 0; i < n; i++)
				iov[i].iov_len = msgs[i].msg_len;
			ncu_udp_send (&sender, relay->out.fd, NULL, 0, iov, n, &bytes);
		} while (n == FLOOR_BATCH);
	}
	return NULL;
}

static void
relay_start (Relay *relay, guint16 to_port)
{
	sock_open (&relay->in);
	sock_open (&relay->out);
	sock_connect (&relay->out, to_port);
	pthread_create (&relay->thread, NULL, relay_thread, relay);
	while (!g_atomic_int_get (&relay->started))
		g_usleep (1000);
}

static void
relay_stop (Relay *relay)
{
	g_atomic_int_set (&relay->stop, 1);
	pthread_join (relay->thread, NULL);
	close (relay->in.fd);
	close (relay->out.fd);
}

/* ---- measuring ---- */

typedef struct {
	guint packets;
	guint size;
} Params;

/* Sends @p->packets datagrams from @from to port @to_port in bursts and
 * waits for each burst at @sink. Returns how many arrived. */
static guint
pump (const Params *p, Sock *from, guint16 to_port, Sock *sink, double *wall_s)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK),
	                          .sin_port = htons (to_port) };
	g_autofree guint8 *payload = g_malloc0 (p->size);
	guint sent = 0, got = 0;
	gint64 start = g_get_monotonic_time ();

	payload[0] = 4;  /* a WireGuard transport data message */
	while (sent < p->packets) {
		guint burst = MIN (BURST, p->packets - sent);
		guint want = got + burst;
		struct pollfd pfd = { .fd = sink->fd, .events = POLLIN };

		for (guint i = 0; i < burst; i++) {
			if (sendto (from->fd, payload, p->size, 0, (struct sockaddr *) &to, sizeof to) < 0)
				g_error ("sendto: %s", g_strerror (errno));
		}
		sent += burst;
		/* A burst that lost packets ends after a quiet STALL_MS. */
		while (got < want && poll (&pfd, 1, STALL_MS) > 0)
			got += sock_drain (sink);
	}
	*wall_s = (g_get_monotonic_time () - start) / 1e6;
	return got;
}

/* System share of a thread's ticks, in percent (-1: too few ticks). */
static int
sys_percent (CpuSample a, CpuSample b)
{
	guint64 total = (b.user - a.user) + (b.sys - a.sys);

	return total < 5 ? -1 : (int) (100 * (b.sys - a.sys) / total);
}

static void
report (const char *impl, const char *dir, const Params *p, guint got, double wall_s,
        CpuSample e0, CpuSample e1, CpuSample i0, CpuSample i1)
{
	guint n = MAX (got, 1);

	printf ("RESULT impl=%s dir=%s egress_ns=%.0f ingress_ns=%.0f egress_sys=%d ingress_sys=%d"
	        " packets=%u lost=%u wall_s=%.3f\n",
	        impl, dir, (e1.ns - e0.ns) / n, (i1.ns - i0.ns) / n, sys_percent (e0, e1),
	        sys_percent (i0, i1), got, p->packets - got, wall_s);
	fflush (stdout);
}

/* One direction through both proxies: @tx's WireGuard -> @rx's WireGuard. */
static void
measure_proxy (const Params *p, Side *tx, Side *rx, const char *dir)
{
	CpuSample e0, i0, e1, i1;
	double wall;
	guint got;

	CALLGRIND_START_INSTRUMENTATION;
	e0 = cpu_sample (&tx->cpu);
	i0 = cpu_sample (&rx->cpu);
	got = pump (p, &tx->wg, ncu_proxy_get_port (tx->proxy), &rx->wg, &wall);
	e1 = cpu_sample (&tx->cpu);
	i1 = cpu_sample (&rx->cpu);
	CALLGRIND_STOP_INSTRUMENTATION;
	report ("proxy", dir, p, got, wall, e0, e1, i0, i1);
}

static void
measure_floor (const Params *p)
{
	Sock wg_a, wg_b;
	Relay egress = { 0 }, ingress = { 0 };
	CpuSample e0, i0, e1, i1;
	double wall;
	guint got;

	sock_open (&wg_a);
	sock_open (&wg_b);
	relay_start (&ingress, wg_b.port);
	relay_start (&egress, ingress.in.port);
	CALLGRIND_START_INSTRUMENTATION;
	e0 = cpu_sample (&egress.cpu);
	i0 = cpu_sample (&ingress.cpu);
	got = pump (p, &wg_a, egress.in.port, &wg_b, &wall);
	e1 = cpu_sample (&egress.cpu);
	i1 = cpu_sample (&ingress.cpu);
	CALLGRIND_STOP_INSTRUMENTATION;
	report ("floor", "a-b", p, got, wall, e0, e1, i0, i1);
	relay_stop (&egress);
	relay_stop (&ingress);
	close (wg_a.fd);
	close (wg_b.fd);
}

static void
print_pair (Side *side)
{
	g_mutex_lock (&side->lock);
	printf ("PAIR side=%s local=%s\n", side->name,
	        ncu_ice_candidate_type_to_string (side->local_type));
	g_mutex_unlock (&side->lock);
}

int
main (int argc, char **argv)
{
	gint packets = 100000, size = 1452;
	gboolean floor_only = FALSE, proxy_only = FALSE;
	g_autofree char *direction = NULL;
	GOptionEntry entries[] = {
		{ "packets", 'n', 0, G_OPTION_ARG_INT, &packets, "Datagrams per direction (100000)", "N" },
		{ "size", 's', 0, G_OPTION_ARG_INT, &size, "Bytes per datagram (1452: a full WireGuard packet at MTU 1420)", "B" },
		{ "floor-only", 0, 0, G_OPTION_ARG_NONE, &floor_only, "Only the baseline relay", NULL },
		{ "proxy-only", 0, 0, G_OPTION_ARG_NONE, &proxy_only, "Only the proxy", NULL },
		{ "direction", 0, 0, G_OPTION_ARG_STRING, &direction, "a-b, b-a or both (default)", "D" },
		{ NULL }
	};
	g_autoptr (GOptionContext) options = g_option_context_new ("- cost per packet of the proxy");
	g_autoptr (GError) error = NULL;
	Params p;
	Side a = { 0 }, b = { 0 };

	g_option_context_add_main_entries (options, entries, NULL);
	if (!g_option_context_parse (options, &argc, &argv, &error)) {
		g_printerr ("%s\n", error->message);
		return 2;
	}
	if (!direction)
		direction = g_strdup ("both");
	if (packets < 1 || size < 16 || size > 65000
	    || !g_strv_contains ((const char *const[]) { "a-b", "b-a", "both", NULL }, direction)) {
		g_printerr ("--packets must be >= 1, --size 16-65000, --direction a-b, b-a or both\n");
		return 2;
	}
	p.packets = packets;
	p.size = size;

	if (!proxy_only)
		measure_floor (&p);
	if (floor_only)
		return 0;
	side_init (&a, "side-a", TRUE);
	side_init (&b, "side-b", FALSE);
	sides_connect (&a, &b);
	print_pair (&a);
	if (g_strcmp0 (direction, "b-a") != 0)
		measure_proxy (&p, &a, &b, "a-b");
	if (g_strcmp0 (direction, "a-b") != 0)
		measure_proxy (&p, &b, &a, "b-a");
	side_clear (&a);
	side_clear (&b);
	return 0;
}
