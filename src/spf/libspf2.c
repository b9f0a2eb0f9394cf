/*
 * libspf2.c - the libspf2 engine, on mxward's resolver
 *
 * spf_eval_libspf2() asks libspf2 (1.2.x) for check_host() with a DNS
 * layer of our own: an SPF_dns_server_t whose lookup function turns each
 * question into dns_lookup() on the shared resolver and the answer into
 * libspf2's SPF_dns_rr_t (NXDOMAIN and bad names as HOST_NOT_FOUND,
 * NODATA as NO_DATA, SERVFAIL and timeouts as TRY_AGAIN). One
 * SPF_server_t per call, so calls share nothing and the layer's hook can
 * carry the caller's resolver.
 *
 * libspf2 sometimes answers with no result at all (SPF_RESULT_INVALID),
 * when a record does not compile or DNS fails: the error code then decides
 * (error_results[]; "not SPF" with compiler errors in the response is a
 * record that did not compile: permerror), so the outcome always holds
 * one of the seven results.
 * Its other known departures from RFC 7208 are kept as they are: this
 * engine is there for postmasters who want libspf2's answers.
 *
 * libspf2's warnings and debug messages go to mxward's log at debug
 * level (set once, before the first call); its fatal error handler is
 * left alone, it is used for broken internal invariants only.
 *
 * SECURITY: answers reach libspf2 as it expects them: names as dotted
 * text, TXT strings concatenated and NUL-terminated, each buffer sized by
 * libspf2's own SPF_dns_rr_buf_realloc().
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <spf2/spf.h>

#include "core/log.h"
#include "core/xalloc.h"
#include "dns/name.h"
#include "dns/resolver.h"
#include "spf/engine.h"

/* Our types for libspf2's; a type not listed gets NO_DATA. */
static const struct {
	ns_type ns;
	enum dns_type ours;
} types[] = {
	{ ns_t_a, DNS_T_A },
	{ ns_t_aaaa, DNS_T_AAAA },
	{ ns_t_mx, DNS_T_MX },
	{ ns_t_ptr, DNS_T_PTR },
	{ ns_t_txt, DNS_T_TXT },
	{ ns_t_spf, DNS_T_SPF },
};

/* A result for each libspf2 error that can come without one. */
static const struct {
	SPF_errcode_t code;
	enum spf_result result;
} error_results[] = {
	{ SPF_E_NOT_SPF, SPFR_NONE },
	{ SPF_E_DNS_ERROR, SPFR_TEMPERROR },
	{ SPF_E_NO_MEMORY, SPFR_TEMPERROR },
	{ SPF_E_INTERNAL_ERROR, SPFR_TEMPERROR },
	{ SPF_E_NOT_CONFIG, SPFR_TEMPERROR },
};

/* The resolver's status as a resolver h_errno. */
static SPF_dns_stat_t
herrno_of(enum dns_status status)
{
	switch (status) {
	case DNS_OK:
		return NETDB_SUCCESS;
	case DNS_NODATA:
		return NO_DATA;
	case DNS_NXDOMAIN:
	case DNS_BADNAME:
		return HOST_NOT_FOUND;
	case DNS_SERVFAIL:
	case DNS_TIMEOUT:
	case DNS_ERROR:
		break;
	}
	return TRY_AGAIN;
}

/* Copy one record into slot i of rr in libspf2's form; false to skip. */
static bool
fill_rr(SPF_dns_rr_t *rr, int i, enum dns_type type,
    const struct dns_rdata *rd)
{
	char name[DNS_NAME_MAX + 1];
	struct ip_addr ip;
	size_t len;

	switch (type) {
	case DNS_T_A:
	case DNS_T_AAAA:
		if (!(type == DNS_T_A ? dns_rdata_a(rd, &ip) :
		    dns_rdata_aaaa(rd, &ip)))
			return false;
		len = type == DNS_T_A ? 4 : 16;
		if (SPF_dns_rr_buf_realloc(rr, i, len) != SPF_E_SUCCESS)
			return false;
		memcpy(rr->rr[i], ip.bytes, len);
		return true;
	case DNS_T_TXT:
	case DNS_T_SPF:
		/* The text is never longer than its rdata. */
		if (SPF_dns_rr_buf_realloc(rr, i, rd->len + 1) != SPF_E_SUCCESS)
			return false;
		return dns_rdata_txt(rd, rr->rr[i]->txt, rd->len + 1, &len);
	default:
		if (!dns_rdata_name(rd, type, NULL, name, sizeof(name)) ||
		    SPF_dns_rr_buf_realloc(rr, i, strlen(name) + 1) !=
		    SPF_E_SUCCESS)
			return false;
		memcpy(rr->rr[i]->ptr, name, strlen(name) + 1);
		return true;
	}
}

/* libspf2's lookup hook: one question to the resolver in the hook. */
static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *layer, const char *domain, ns_type ns,
    int should_cache)
{
	enum dns_type type = 0;
	const struct dns_answer *a;
	SPF_dns_rr_t *rr;
	int n = 0;

	(void)should_cache;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].ns == ns)
			type = types[i].ours;
	if (type == 0)
		return SPF_dns_rr_new_init(layer, domain, ns, 0, NO_DATA);
	a = dns_lookup(layer->hook, domain, type);
	rr = SPF_dns_rr_new_init(layer, domain, ns, (int)a->ttl,
	    herrno_of(a->status));
	for (size_t i = 0; rr != NULL && i < a->count; i++)
		if (fill_rr(rr, n, type, &a->rr[i]))
			n++;
	if (rr != NULL) {
		rr->num_rr = n;
		if (n == 0 && rr->herrno == NETDB_SUCCESS)
			rr->herrno = NO_DATA;
	}
	dns_answer_free(&a);
	return rr;
}

/* libspf2's messages, into our log. */
static void
spf2_log(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	log_debug("libspf2: %s", msg);
}

static void
spf2_log_setup(void)
{
	SPF_warning_handler = spf2_log;
	SPF_info_handler = spf2_log;
	SPF_debug_handler = spf2_log;
}

/* "Not SPF" comes for a record that did not compile too, then with the
 * compiler's errors (anything but "not SPF") in the response. */
static bool
compile_failed(SPF_response_t *resp)
{
	for (int i = 0; resp != NULL && i < SPF_response_messages(resp); i++) {
		SPF_error_t *e = SPF_response_message(resp, i);

		if (SPF_error_errorp(e) && SPF_error_code(e) != SPF_E_NOT_SPF)
			return true;
	}
	return false;
}

/* The result libspf2 gave, or one for the error it gave instead. */
static enum spf_result
result_of(SPF_response_t *resp, SPF_errcode_t err)
{
	static const enum spf_result results[] = {
		[SPF_RESULT_NEUTRAL] = SPFR_NEUTRAL,
		[SPF_RESULT_PASS] = SPFR_PASS,
		[SPF_RESULT_FAIL] = SPFR_FAIL,
		[SPF_RESULT_SOFTFAIL] = SPFR_SOFTFAIL,
		[SPF_RESULT_NONE] = SPFR_NONE,
		[SPF_RESULT_TEMPERROR] = SPFR_TEMPERROR,
		[SPF_RESULT_PERMERROR] = SPFR_PERMERROR,
	};
	SPF_result_t r = resp ? SPF_response_result(resp) : SPF_RESULT_INVALID;

	if (resp != NULL && err == SPF_E_SUCCESS)
		err = SPF_response_errcode(resp);
	if (err == SPF_E_NOT_SPF && compile_failed(resp))
		return SPFR_PERMERROR;
	if (r > SPF_RESULT_INVALID && r <= SPF_RESULT_PERMERROR &&
	    (r != SPF_RESULT_NONE || err == SPF_E_SUCCESS ||
	    err == SPF_E_NOT_SPF))
		return results[r];
	/* No result, or none despite an error: the error decides. */
	for (size_t i = 0; i < sizeof(error_results) /
	    sizeof(error_results[0]); i++)
		if (error_results[i].code == err)
			return error_results[i].result;
	return SPFR_PERMERROR;
}

/* Set up libspf2's request; false if it refuses the inputs. */
static bool
request_setup(SPF_request_t *sr, const struct spf_request *req,
    const struct ip_addr *ip)
{
	struct in_addr v4;
	struct in6_addr v6;

	if (ip->family == AF_INET6) {
		memcpy(&v6, ip->bytes, sizeof(v6));
		if (SPF_request_set_ipv6(sr, v6) != SPF_E_SUCCESS)
			return false;
	} else {
		memcpy(&v4, ip->bytes, sizeof(v4));
		if (SPF_request_set_ipv4(sr, v4) != SPF_E_SUCCESS)
			return false;
	}
	if (req->helo != NULL &&
	    SPF_request_set_helo_dom(sr, req->helo) != SPF_E_SUCCESS)
		return false;
	return SPF_request_set_env_from(sr, req->sender) == 0;
}

/* Our outcome from libspf2's response. */
static void
outcome_from(SPF_response_t *resp, SPF_errcode_t err, struct spf_outcome *out)
{
	const char *text;

	out->result = result_of(resp, err);
	if (resp != NULL && err == SPF_E_SUCCESS)
		err = SPF_response_errcode(resp);
	if (out->result == SPFR_FAIL && resp != NULL &&
	    (text = SPF_response_get_explanation(resp)) != NULL)
		snprintf(out->explanation, sizeof(out->explanation), "%s", text);
	if (resp != NULL && SPF_response_messages(resp) > 0)
		snprintf(out->reason, sizeof(out->reason), "libspf2: %s",
		    SPF_error_message(SPF_response_message(resp, 0)));
	else if (err != SPF_E_SUCCESS)
		snprintf(out->reason, sizeof(out->reason), "libspf2: %s",
		    SPF_strerror(err));
	else
		snprintf(out->reason, sizeof(out->reason), "libspf2: %s",
		    resp != NULL && SPF_response_reason(resp) ==
		    SPF_REASON_DEFAULT ? "default" : "mechanism");
	if (resp != NULL)
		out->dns_terms = (unsigned)resp->num_dns_mech;
}

void
spf_eval_libspf2(struct dns_resolver *dns, const struct spf_request *req,
    const struct ip_addr *ip, struct spf_outcome *out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	SPF_dns_server_t layer = {
		.lookup = layer_lookup,
		.name = "mxward",
		.hook = dns,
	};
	SPF_server_t *server;
	SPF_request_t *sr = NULL;
	SPF_response_t *resp = NULL, *setup = NULL;
	SPF_errcode_t err = SPF_E_NO_MEMORY;

	pthread_once(&once, spf2_log_setup);
	server = SPF_server_new_dns(&layer, 0);
	if (server != NULL) {
		if (req->receiver != NULL)
			SPF_server_set_rec_dom(server, req->receiver);
		SPF_server_set_explanation(server, req->default_explanation ?
		    req->default_explanation : "", &setup);
		if (setup != NULL)
			SPF_response_free(setup);
		sr = SPF_request_new(server);
	}
	if (sr != NULL) {
		err = SPF_E_INVALID_OPT;
		if (request_setup(sr, req, ip))
			err = SPF_request_query_mailfrom(sr, &resp);
	}
	outcome_from(resp, err, out);
	if (resp != NULL)
		SPF_response_free(resp);
	if (sr != NULL)
		SPF_request_free(sr);
	if (server != NULL)
		SPF_server_free(server);
}
