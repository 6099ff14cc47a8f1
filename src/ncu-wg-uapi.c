/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Userspace backend: runs `wireguard-go -f <ifname>` as our child and talks
 * to it over /run/wireguard/<ifname>.sock, one connection per request (as
 * wg(8) does).  Its exit is noticed through a child watch.  Every wait is
 * bounded; requests are short enough to run synchronously on the main loop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sodium.h>

#include "ncu-wg-uapi.h"

#define START_TIMEOUT_MS   10000   /* spawn until the socket accepts */
#define REQUEST_TIMEOUT_MS 5000    /* one request and its reply */
#define STOP_TIMEOUT_MS    5000    /* SIGTERM until we use SIGKILL */
#define LINK_GONE_TIMEOUT_MS 2000
#define POLL_STEP_US       (10 * 1000)

struct _NcuWgUapi {
	char *ifname;
	char *socket_path;
	GPid pid;                      /* 0 once it has exited and been reaped */
	gboolean spawned;              /* the link may be ours */
	gboolean have_socket_id;       /* our wireguard-go's socket was seen: */
	dev_t socket_dev;              /* the file it made, so we never remove */
	ino_t socket_ino;              /* a later instance's at the same path */
	guint watch_id;
	int ifindex;
	NcuWgUapiExitFunc exit_func;
	gpointer exit_data;
};

/* ---- the process ---- */

static char *
find_wireguard_go (GError **error)
{
	const char *override = g_getenv ("NCU_WIREGUARD_GO");
	char *path;

	if (override && *override) {
		if (!g_file_test (override, G_FILE_TEST_IS_EXECUTABLE)) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_NOT_FOUND,
			             "NCU_WIREGUARD_GO=%s is not an executable", override);
			return NULL;
		}
		return g_strdup (override);
	}
	path = g_find_program_in_path ("wireguard-go");
	if (!path)
		g_set_error_literal (error, NCU_WG_ERROR, NCU_WG_ERROR_NOT_FOUND,
		                     "wireguard-go not found in PATH (install the Debian package wireguard-go)");
	return path;
}

/*
 * In the child: if we die without cleaning up (SIGKILL, crash), the kernel
 * sends it SIGTERM, on which it removes its TUN device and socket.  It logs
 * to stdout: that goes to our stderr, with our own log, so that a caller
 * whose stdout carries a protocol (the test driver) never gets its lines.
 */
static void
child_setup (gpointer user_data)
{
	pid_t parent = GPOINTER_TO_INT (user_data);

	prctl (PR_SET_PDEATHSIG, SIGTERM);
	if (getppid () != parent)
		_exit (127);
	if (dup2 (STDERR_FILENO, STDOUT_FILENO) < 0) {
		int null = open ("/dev/null", O_WRONLY);

		if (null >= 0 && null != STDOUT_FILENO) {
			dup2 (null, STDOUT_FILENO);
			close (null);
		}
	}
}

static char *
describe_status (int status)
{
	if (WIFEXITED (status))
		return g_strdup_printf ("exited with status %d", WEXITSTATUS (status));
	if (WIFSIGNALED (status))
		return g_strdup_printf ("was killed by signal %d (%s)", WTERMSIG (status),
		                        g_strsignal (WTERMSIG (status)));
	return g_strdup_printf ("ended with wait status 0x%x", (unsigned) status);
}

static gboolean
spawn (NcuWgUapi *uapi, GError **error)
{
	g_autofree char *program = find_wireguard_go (error);
	g_auto (GStrv) envp = NULL;
	char *argv[] = { NULL, (char *) "-f", uapi->ifname, NULL };

	if (!program)
		return FALSE;
	argv[0] = program;
	envp = g_get_environ ();
	/* Fds meant for its own daemonized child must not leak in from ours. */
	envp = g_environ_unsetenv (envp, "WG_TUN_FD");
	envp = g_environ_unsetenv (envp, "WG_UAPI_FD");
	/* We keep it in the foreground ourselves; this also silences its
	 * "use the kernel module" banner. */
	envp = g_environ_setenv (envp, "WG_PROCESS_FOREGROUND", "1", TRUE);
	if (!g_spawn_async (NULL, argv, envp,
	                    G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDIN_FROM_DEV_NULL,
	                    child_setup, GINT_TO_POINTER (getpid ()), &uapi->pid, error)) {
		g_prefix_error (error, "cannot start %s: ", program);
		return FALSE;
	}
	uapi->spawned = TRUE;
	g_debug ("%s: started %s (pid %d)", uapi->ifname, program, (int) uapi->pid);
	return TRUE;
}

/* Remembers which file our wireguard-go's socket is. */
static void
note_socket (NcuWgUapi *uapi)
{
	struct stat st;

	if (stat (uapi->socket_path, &st) < 0)
		return;
	uapi->have_socket_id = TRUE;
	uapi->socket_dev = st.st_dev;
	uapi->socket_ino = st.st_ino;
}

/*
 * A stale socket (wireguard-go killed) would be taken for a live device.
 * Only ours goes: once our wireguard-go exited, the next instance of the
 * same connection (a new service, NetworkManager does not wait for us)
 * may already have put its own at the same path.
 */
static void
remove_socket (NcuWgUapi *uapi)
{
	struct stat st;

	if (!uapi->have_socket_id || stat (uapi->socket_path, &st) < 0)
		return;
	if (st.st_dev != uapi->socket_dev || st.st_ino != uapi->socket_ino)
		return;
	if (unlink (uapi->socket_path) == 0)
		g_debug ("%s: removed stale %s", uapi->ifname, uapi->socket_path);
}

static void
on_child_exit (GPid pid, gint status, gpointer user_data)
{
	NcuWgUapi *uapi = user_data;
	g_autofree char *how = describe_status (status);
	g_autoptr (GError) error = NULL;

	uapi->watch_id = 0;
	uapi->pid = 0;
	g_spawn_close_pid (pid);
	remove_socket (uapi);
	error = g_error_new (NCU_WG_ERROR, NCU_WG_ERROR_EXITED,
	                     "wireguard-go for %s %s", uapi->ifname, how);
	if (uapi->exit_func)
		uapi->exit_func (uapi->exit_data, error);
}

/*
 * Reaps the child if it has exited.  Only valid while no child watch is
 * attached (GLib would reap it otherwise).  ECHILD: someone reaped it.
 */
static gboolean
child_reaped (NcuWgUapi *uapi, int *status)
{
	pid_t r = waitpid (uapi->pid, status, WNOHANG);

	if (r == 0)
		return FALSE;
	if (r < 0)
		*status = 0;
	uapi->pid = 0;
	return TRUE;
}

static gboolean
wait_child_exit (NcuWgUapi *uapi, int timeout_ms)
{
	gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
	int status;

	while (!child_reaped (uapi, &status)) {
		if (g_get_monotonic_time () > deadline)
			return FALSE;
		g_usleep (POLL_STEP_US);
	}
	return TRUE;
}

static void
stop_process (NcuWgUapi *uapi)
{
	int status;

	if (uapi->watch_id) {
		g_source_remove (uapi->watch_id);
		uapi->watch_id = 0;
	}
	/* Check before kill: never signal a PID that was reaped and reused. */
	if (uapi->pid == 0 || child_reaped (uapi, &status))
		return;
	kill (uapi->pid, SIGTERM);
	if (wait_child_exit (uapi, STOP_TIMEOUT_MS))
		return;
	g_warning ("%s: wireguard-go ignored SIGTERM, killing it", uapi->ifname);
	kill (uapi->pid, SIGKILL);
	waitpid (uapi->pid, &status, 0);
	uapi->pid = 0;
}

/* A TUN device goes when its last fd closes; wait until the kernel agrees. */
static void
wait_link_gone (NcuWgUapi *uapi)
{
	gint64 deadline = g_get_monotonic_time () + LINK_GONE_TIMEOUT_MS * 1000;

	while (if_nametoindex (uapi->ifname) != 0) {
		if (g_get_monotonic_time () > deadline) {
			g_warning ("%s: interface still present after wireguard-go exited",
			           uapi->ifname);
			return;
		}
		g_usleep (POLL_STEP_US);
	}
}

/* ---- the socket ---- */

static int
connect_socket (const char *path, GError **error)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen (path) >= sizeof sun.sun_path) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_INVALID_ARGUMENT,
		             "socket path %s is too long", path);
		return -1;
	}
	strcpy (sun.sun_path, path);
	fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || connect (fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
		int errsv = errno;

		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
		             "cannot connect to %s: %s", path, g_strerror (errsv));
		if (fd >= 0)
			close (fd);
		return -1;
	}
	return fd;
}

static gboolean
wait_ready (NcuWgUapi *uapi, GError **error)
{
	gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_MS * 1000;
	int status;

	for (;;) {
		int fd = connect_socket (uapi->socket_path, NULL);

		if (fd >= 0) {
			close (fd);
			note_socket (uapi);
			return TRUE;
		}
		if (child_reaped (uapi, &status)) {
			g_autofree char *how = describe_status (status);

			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_EXITED,
			             "wireguard-go for %s %s before its socket appeared",
			             uapi->ifname, how);
			return FALSE;
		}
		if (g_get_monotonic_time () > deadline) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_TIMEOUT,
			             "wireguard-go did not open %s within %d s",
			             uapi->socket_path, START_TIMEOUT_MS / 1000);
			return FALSE;
		}
		g_usleep (POLL_STEP_US);
	}
}

/* Waits for @events on @fd until @deadline (monotonic µs). */
static gboolean
poll_until (int fd, short events, gint64 deadline, const char *what, GError **error)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		gint64 left = deadline - g_get_monotonic_time ();
		int r;

		if (left <= 0) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_TIMEOUT,
			             "wireguard-go did not %s within %d s", what,
			             REQUEST_TIMEOUT_MS / 1000);
			return FALSE;
		}
		r = poll (&pfd, 1, (int) MIN (left / 1000 + 1, G_MAXINT));
		if (r > 0)
			return TRUE;
		if (r < 0 && errno != EINTR) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
			             "poll: %s", g_strerror (errno));
			return FALSE;
		}
	}
}

static gboolean
send_all (int fd, const char *data, gsize len, gint64 deadline, GError **error)
{
	while (len > 0) {
		ssize_t n;

		if (!poll_until (fd, POLLOUT, deadline, "accept the request", error))
			return FALSE;
		n = send (fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
			             "sending to wireguard-go: %s", g_strerror (errno));
			return FALSE;
		}
		data += n;
		len -= (gsize) n;
	}
	return TRUE;
}

/* Replies may carry the private key: growing copies the old buffer and wipes it. */
typedef struct {
	char *data;
	gsize len;
	gsize cap;
} SecureBuf;

static void
secure_buf_clear (SecureBuf *buf)
{
	if (buf->data)
		sodium_memzero (buf->data, buf->cap);
	g_free (buf->data);
	*buf = (SecureBuf) { 0 };
}

static gboolean
secure_buf_reserve (SecureBuf *buf, gsize extra, GError **error)
{
	gsize cap = buf->cap ? buf->cap : 16384;
	char *data;

	if (buf->len + extra <= buf->cap)
		return TRUE;
	while (cap < buf->len + extra)
		cap *= 2;
	if (cap > NCU_WG_UAPI_MAX_REPLY) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_PROTOCOL,
		             "reply from wireguard-go is larger than %u MiB",
		             NCU_WG_UAPI_MAX_REPLY >> 20);
		return FALSE;
	}
	data = g_malloc (cap);
	if (buf->len)
		memcpy (data, buf->data, buf->len);
	if (buf->data)
		sodium_memzero (buf->data, buf->cap);
	g_free (buf->data);
	buf->data = data;
	buf->cap = cap;
	return TRUE;
}

/* A reply ends at its first blank line: "\n\n" (lines are never empty). */
static gboolean
reply_complete (const SecureBuf *buf, gsize from)
{
	gsize i = from > 0 ? from - 1 : 0;

	for (; i + 1 < buf->len; i++) {
		if (buf->data[i] == '\n' && buf->data[i + 1] == '\n')
			return TRUE;
	}
	return FALSE;
}

/* Reads up to the blank line or EOF; the parser judges what came. */
static gboolean
recv_reply (int fd, SecureBuf *buf, gint64 deadline, GError **error)
{
	for (;;) {
		gsize from = buf->len;
		ssize_t n;

		if (!secure_buf_reserve (buf, 4096, error))
			return FALSE;
		if (!poll_until (fd, POLLIN, deadline, "reply", error))
			return FALSE;
		n = recv (fd, buf->data + buf->len, buf->cap - buf->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_FAILED,
			             "reading from wireguard-go: %s", g_strerror (errno));
			return FALSE;
		}
		if (n == 0)
			return TRUE;
		buf->len += (gsize) n;
		if (reply_complete (buf, from))
			return TRUE;
	}
}

static gboolean
request (NcuWgUapi *uapi, const char *req, gsize req_len, SecureBuf *reply,
         GError **error)
{
	gint64 deadline = g_get_monotonic_time () + REQUEST_TIMEOUT_MS * 1000;
	int fd = connect_socket (uapi->socket_path, error);
	gboolean ok;

	if (fd < 0)
		return FALSE;
	ok = send_all (fd, req, req_len, deadline, error) &&
	     recv_reply (fd, reply, deadline, error);
	close (fd);
	return ok;
}

static gboolean
check_running (NcuWgUapi *uapi, GError **error)
{
	if (uapi->pid != 0)
		return TRUE;
	g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_EXITED,
	             "wireguard-go for %s is not running", uapi->ifname);
	return FALSE;
}

gboolean
ncu_wg_uapi_set (NcuWgUapi *uapi, const NcuWgDeviceConfig *device,
                 const NcuWgPeer *peer, gboolean endpoint_only, GError **error)
{
	GString *req;
	SecureBuf reply = { 0 };
	gboolean ok;

	if (!check_running (uapi, error))
		return FALSE;
	req = ncu_wg_uapi_format_set (device, peer, endpoint_only);
	ok = request (uapi, req->str, req->len, &reply, error) &&
	     ncu_wg_uapi_parse_set_reply (reply.data, reply.len, error);
	ncu_wg_uapi_string_free_secure (req);
	secure_buf_clear (&reply);
	if (!ok)
		g_prefix_error (error, "%s: ", uapi->ifname);
	return ok;
}

gboolean
ncu_wg_uapi_get (NcuWgUapi *uapi, NcuWgDeviceInfo **out, GError **error)
{
	static const char req[] = "get=1\n\n";
	SecureBuf reply = { 0 };
	gboolean ok;

	if (!check_running (uapi, error))
		return FALSE;
	ok = request (uapi, req, sizeof req - 1, &reply, error) &&
	     ncu_wg_uapi_parse_get (reply.data, reply.len, out, error);
	secure_buf_clear (&reply);
	if (!ok)
		g_prefix_error (error, "%s: ", uapi->ifname);
	return ok;
}

/* ---- life cycle ---- */

NcuWgUapi *
ncu_wg_uapi_new (const char *ifname, NcuWgUapiExitFunc exit_func,
                 gpointer user_data, GError **error)
{
	NcuWgUapi *uapi = g_new0 (NcuWgUapi, 1);

	uapi->ifname = g_strdup (ifname);
	uapi->socket_path = g_strdup_printf (NCU_WG_UAPI_RUN_DIR "/%s.sock", ifname);
	uapi->exit_func = exit_func;
	uapi->exit_data = user_data;
	if (!spawn (uapi, error) || !wait_ready (uapi, error))
		goto fail;
	uapi->ifindex = (int) if_nametoindex (ifname);
	if (uapi->ifindex == 0) {
		g_set_error (error, NCU_WG_ERROR, NCU_WG_ERROR_NOT_FOUND,
		             "wireguard-go runs but interface %s is missing", ifname);
		goto fail;
	}
	uapi->watch_id = g_child_watch_add (uapi->pid, on_child_exit, uapi);
	return uapi;

fail:
	ncu_wg_uapi_free (uapi);
	return NULL;
}

void
ncu_wg_uapi_free (NcuWgUapi *uapi)
{
	if (!uapi)
		return;
	stop_process (uapi);
	if (uapi->spawned) {
		remove_socket (uapi);
		wait_link_gone (uapi);
	}
	g_free (uapi->socket_path);
	g_free (uapi->ifname);
	g_free (uapi);
}

int
ncu_wg_uapi_get_ifindex (NcuWgUapi *uapi)
{
	return uapi->ifindex;
}
