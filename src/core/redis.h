/*
 * redis.h - the one pool of Redis connections (hiredis) its users share
 *
 * redis_pool_new() reads an address and connects nothing; redis_pool_free()
 * closes the idle connections and clears the pointer.
 * redis_pool_command() sends one command given as an argument vector
 * (binary safe, never formatted) and waits for its reply.
 * redis_pool_eval() runs a Lua script (redis_script_new()) by EVALSHA; the
 * script's SHA-1 is learned once by SCRIPT LOAD, and a server that lost it
 * (restart, SCRIPT FLUSH, failover) gets the body by EVAL in the same
 * call, so callers never see NOSCRIPT.
 *
 * Both return true when Redis answered with anything but an error, and
 * hand the reply to *reply_r (free it with hiredis' freeReplyObject()) or
 * free it when reply_r is NULL. They return false with the reason in err
 * when Redis answered with an error, could not be reached, or was not
 * tried (below).
 *
 * CONNECTIONS
 *	A call takes an idle connection or connects (connect timeout
 *	timeout_ms), sends (command timeout timeout_ms) and gives the
 *	connection back; at most REDIS_POOL_IDLE_MAX idle ones are kept. A
 *	connection that fails is dropped; when it came from the pool (the
 *	server may have closed it while idle) the call is tried once more on
 *	a new one, unless it timed out (the command may have run; a second
 *	wait would double the cost). A failed connect, a timeout, or a new
 *	connection failing puts the pool down for backoff_ms: calls fail at
 *	once with "not tried", so an unreachable or stalled Redis costs mail
 *	no time. When the period is over one call probes while the others
 *	keep failing at once; its success ends the period, its failure starts
 *	another.
 *
 * THREAD SAFETY
 *	All functions but the _free ones may be called from any thread at
 *	once. The pool's mutex guards only taking and giving back a
 *	connection, never I/O; a connection is used by one thread at a time.
 *	A script may be shared by any number of pools and threads. The
 *	process must ignore SIGPIPE (a write to a closed connection).
 *
 * SECURITY
 *	The address is admin input, checked here. Arguments are sent as they
 *	are (RESP bulk strings), so keys and values from mail cannot inject
 *	commands.
 */
#ifndef MXWARD_CORE_REDIS_H
#define MXWARD_CORE_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REDIS_POOL_IDLE_MAX 16   /* idle connections kept */

struct redisReply;   /* hiredis.h */
struct redis_pool;
struct redis_script;

/* address: "HOST:PORT", "[IPV6]:PORT", "HOST" (port 6379), or a Unix
 * socket as "unix:PATH" or "/PATH". NULL with err filled when it cannot be
 * read. */
struct redis_pool *redis_pool_new(const char *address, uint64_t timeout_ms,
    uint64_t backoff_ms, char *err, size_t errlen);
void redis_pool_free(struct redis_pool **pool_p);

/* Send argv[0..argc-1] (lengths argvlen) as one command. */
bool redis_pool_command(struct redis_pool *pool, int argc, const char **argv,
    const size_t *argvlen, struct redisReply **reply_r, char *err,
    size_t errlen);

/* body is copied. */
struct redis_script *redis_script_new(const char *body);
void redis_script_free(struct redis_script **script_p);

/* Run script with argv = numkeys, keys..., args... (as EVAL takes them
 * after the script). */
bool redis_pool_eval(struct redis_pool *pool, struct redis_script *script,
    int argc, const char **argv, const size_t *argvlen,
    struct redisReply **reply_r, char *err, size_t errlen);

#endif
