/*
 * daemon.c - `mxward run`: start-up, signals, reload, privilege drop
 *
 * daemon_run() loads and publishes the policy, opens the milter socket,
 * the policy-delegation socket (listen.policy, when set) and the metrics
 * endpoint while still privileged, switches to daemon.user, starts what
 * the checks hold outside the policy (engine_start: the antivirus engine,
 * loaded before the first connection is accepted; a failure refuses to
 * start), starts libmilter's loop and the policy front end's accept loop
 * in their own threads and then waits for signals:
 *
 *   SIGHUP   reload: build and validate a new snapshot off the request
 *            path and publish it; messages in flight keep the snapshot
 *            they started with. A broken policy is logged as FILE:LINE
 *            lines and the old one stays. engine_update() then lets the
 *            checks follow (the antivirus engine looks for new
 *            signatures).
 *   SIGTERM, SIGINT
 *            stop accepting, let open MTA connections finish (up to
 *            STOP_GRACE_SECONDS; idle policy connections close at once),
 *            exit 0.
 *
 * Signals: libmilter runs its own sigwait() thread for SIGHUP, SIGTERM and
 * SIGINT and would stop on SIGHUP. Linux hands a process-directed signal to
 * the main thread first when that thread does not block it, so the main
 * thread keeps the three unblocked with handlers (SA_NODEFER, so it never
 * blocks them even inside a handler) and every other thread is created with
 * them blocked. Handlers only write a byte to a self-pipe.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "conf/conf.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "daemon.h"
#include "engine/engine.h"
#include "engine/policy.h"
#include "engine/stats.h"
#include "frontend/milter.h"
#include "frontend/policyd.h"
#include "metrics/metrics.h"

#define STOP_GRACE_SECONDS 30
#define MILTER_EXIT_SECONDS 10
#define WAKE_MILTER_DONE 'm'

static int wake_pipe[2] = { -1, -1 };
static struct metrics_family *metric_reloads;

enum reload_result { RELOAD_OK, RELOAD_FAILED };
static const char *const reload_results[] = { "ok", "failed" };

/* Signal handler: note the signal for the main loop. */
static void
on_signal(int sig)
{
	char c = (char)sig;
	int saved = errno;

	if (write(wake_pipe[1], &c, 1) < 0) {
		/* The pipe is full: a wake-up is already pending. */
	}
	errno = saved;
}

/* Install handlers for the signals the main thread owns. */
static void
signals_install(void)
{
	struct sigaction sa;

	if (pipe(wake_pipe) != 0)
		log_die("pipe: %s", strerror(errno));
	fcntl(wake_pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(wake_pipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(wake_pipe[1], F_SETFL, O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Block (or restore) the main thread's signals around thread creation. */
static void
signals_block(bool block, sigset_t *saved)
{
	sigset_t set;

	if (!block) {
		pthread_sigmask(SIG_SETMASK, saved, NULL);
		return;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, saved);
}

/* Log every error of a failed load. */
static void
log_errors(const struct conf_errors *errs)
{
	for (size_t i = 0; i < conf_errors_count(errs); i++)
		log_error("%s", conf_errors_get(errs, i));
}

/* Whether two optional strings differ ("" and NULL are the same). */
static bool
differ(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") != 0;
}

/* Say so when a reload changes what only a restart applies. */
static void
warn_startup_only(const struct conf *next)
{
	struct conf *now = conf_acquire();
	const struct {
		const char *key, *was, *will;
	} keys[] = {
		{ "listen.milter", policy_listen(now)->milter,
		  policy_listen(next)->milter },
		{ "listen.policy", policy_listen(now)->policy,
		  policy_listen(next)->policy },
		{ "metrics.listen", policy_metrics(now)->listen,
		  policy_metrics(next)->listen },
		{ "daemon.user", policy_daemon(now)->user,
		  policy_daemon(next)->user },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (differ(keys[i].was, keys[i].will))
			log_warning("%s changed to '%s': it applies at the "
			    "next restart", keys[i].key,
			    keys[i].will ? keys[i].will : "");
	conf_release(&now);
}

/* SIGHUP: build a new snapshot and publish it, or keep the old one. */
static void
reload(const char *path)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf = engine_load_policy(path, errs);

	if (conf == NULL) {
		log_errors(errs);
		log_error("reload of %s failed: keeping the current policy",
		    path);
		metrics_add(metric_reloads, RELOAD_FAILED, 1);
	} else {
		warn_startup_only(conf);
		log_set_level((enum log_level)policy_daemon(conf)->log_level);
		conf_publish(conf);
		engine_update();
		log_info("reloaded %s", path);
		metrics_add(metric_reloads, RELOAD_OK, 1);
	}
	conf_errors_free(&errs);
}

/* Switch to the policy's unprivileged user, if started as root. */
static void
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user == NULL || *user == '\0')
		return;
	if (geteuid() != 0) {
		log_warning("daemon.user %s ignored: not started as root", user);
		return;
	}
	pw = getpwnam(user);
	if (pw == NULL)
		log_die("daemon.user: no such user '%s'", user);
	if (setgroups(0, NULL) != 0 || initgroups(user, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0)
		log_die("cannot switch to user %s: %s", user, strerror(errno));
	if (setuid(0) == 0)
		log_die("privileges could not be dropped");
	log_info("running as user %s", user);
}

/* The milter thread: libmilter's loop, then wake the main thread. */
static void *
milter_thread(void *arg)
{
	char c = WAKE_MILTER_DONE;
	int *status = arg;

	*status = milter_run();
	if (write(wake_pipe[1], &c, 1) < 0) {
		/* a pending wake-up will do */
	}
	return NULL;
}

/* Register the process-wide metrics that are not the engine's. */
static void
daemon_metrics(void)
{
	static const char *const version[] = { PACKAGE_VERSION };
	struct metrics_family *info;

	engine_stats_init();
	metric_reloads = metrics_counter_new("mxward_policy_reloads_total",
	    "Policy reloads by result.", "result", reload_results, 2);
	info = metrics_gauge_new("mxward_build_info",
	    "Build information; the value is always 1.", "version", version, 1);
	metrics_set(info, 0, 1);
}

/* Open the sockets; dies with a clear message when one cannot be had. */
static void
open_listeners(const struct conf *conf)
{
	const struct policy_listen *l = policy_listen(conf);
	const char *metrics_listen = policy_metrics(conf)->listen;
	char *error = NULL;
	sigset_t saved;

	if (!milter_open(l->milter, l->socket_mode, l->socket_owner, &error))
		log_die("milter: %s", error);
	if (l->policy != NULL && *l->policy != '\0' && !policyd_open(l->policy,
	    l->socket_mode, l->socket_owner, &error))
		log_die("policy: %s", error);
	if (metrics_listen == NULL || *metrics_listen == '\0')
		return;
	signals_block(true, &saved);
	if (!metrics_http_start(metrics_listen, &error))
		log_die("metrics: %s", error);
	signals_block(false, &saved);
}

/* MTA connections open on both front ends. */
static int
connections_open(void)
{
	return milter_connections_open() + policyd_connections_open();
}

/* Wait for MTA connections to finish, up to the grace period. */
static void
drain_connections(void)
{
	for (int i = 0; i < STOP_GRACE_SECONDS * 10 &&
	    connections_open() > 0; i++) {
		struct timespec t = { 0, 100 * 1000 * 1000 };

		nanosleep(&t, NULL);
	}
	if (connections_open() > 0)
		log_warning("stopping with %d MTA connections still open",
		    connections_open());
}

/* After a stop: wait up to seconds for the milter thread's wake-up. */
static bool
wait_milter_done(int seconds)
{
	struct pollfd pfd = { wake_pipe[0], POLLIN, 0 };
	char c;

	while (poll(&pfd, 1, seconds * 1000) > 0) {
		if (read(wake_pipe[0], &c, 1) == 1 && c == WAKE_MILTER_DONE)
			return true;
	}
	return false;
}

/* The main thread's loop: wait for signals until told to stop. */
static int
main_loop(const char *path)
{
	for (;;) {
		struct pollfd pfd = { wake_pipe[0], POLLIN, 0 };
		char c;

		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			log_die("poll: %s", strerror(errno));
		if (read(wake_pipe[0], &c, 1) != 1)
			continue;
		if (c == SIGHUP) {
			reload(path);
			continue;
		}
		if (c == WAKE_MILTER_DONE) {
			log_error("the milter loop ended unexpectedly");
			return 1;
		}
		log_info("stopping on signal %d", c);
		return 0;
	}
}

int
daemon_run(const char *path, bool foreground)
{
	struct conf_errors *errs = conf_errors_new();
	struct conf *conf;
	const char *policy;
	char err[512];
	pthread_t tid;
	sigset_t saved;
	int milter_status = 0, status;

	log_open("mxward", foreground, LOG_LEVEL_INFO);
	conf = engine_load_policy(path, errs);
	if (conf == NULL) {
		log_errors(errs);
		log_die("%s: policy has errors, not starting", path);
	}
	conf_errors_free(&errs);
	log_set_level((enum log_level)policy_daemon(conf)->log_level);
	signals_install();
	daemon_metrics();
	open_listeners(conf);
	drop_privileges(policy_daemon(conf)->user);
	conf_publish(conf);
	/* Threads started from here on leave the signals to this one. */
	signals_block(true, &saved);
	if (!engine_start(err, sizeof(err)))
		log_die("%s: not starting", err);
	if (pthread_create(&tid, NULL, milter_thread, &milter_status) != 0)
		log_die("cannot start the milter thread");
	policyd_start();
	signals_block(false, &saved);
	policy = policy_listen(conf)->policy;
	if (policy == NULL || *policy == '\0')
		policy = NULL;
	log_info("mxward %s ready: milter on %s%s%s", PACKAGE_VERSION,
	    policy_listen(conf)->milter, policy ? ", policy on " : "",
	    policy ? policy : "");
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "READY=1");
#endif
	status = main_loop(path);
#ifdef HAVE_LIBSYSTEMD
	sd_notify(0, "STOPPING=1");
#endif
	/* First: milter_stop() can block until libmilter's loop wakes. */
	policyd_stop();
	milter_stop();
	drain_connections();
	/* libmilter's accept loop notices the stop at its next poll timeout;
	 * wait for it a little, but a stuck loop must not keep us up. */
	if (status == 0 && !wait_milter_done(MILTER_EXIT_SECONDS))
		log_warning("the milter loop did not end; exiting anyway");
	else
		pthread_join(tid, NULL);
	/* Its messages hold engine sessions: before engine_stop. */
	policyd_close();
	engine_stop();
	metrics_http_stop();
	return status != 0 ? status : milter_status;
}
