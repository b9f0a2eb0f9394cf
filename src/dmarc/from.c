/*
 * from.c - the RFC5322.From domains of a message
 *
 * PUBLIC FUNCTIONS
 *	dmarc_from_parse(), dmarc_from_init(); see dmarc.h.
 *
 * PARSING
 *	Header fields are split by mime_header_next() up to the empty line
 *	that ends the header; each field named From (any case) is parsed by
 *	GMime's address-list parser in its lenient mode, the parser that
 *	mail clients built on GMime use to show the sender, so the domain
 *	judged here is the one a reader would see. Group members count as
 *	mailboxes (From has no groups in RFC 5322, but a client shows them).
 *	A domain is taken from the mailbox's IDN form (GMime converts U-labels
 *	to A-labels with libidn2), lowercased, a trailing dot dropped, and
 *	must then be a valid host name of at least one label: that is the
 *	name DMARC records are looked up under. A From field that is
 *	malformed or too long for mime_header_next() counts as a field with
 *	an unusable address.
 *
 * CONTRACT
 *	No I/O; GMime is initialised once per process (mime_gmime_init). Every
 *	GObject is released before returning. Thread safe.
 *
 * SECURITY
 *	The header is untrusted. Fields are bounded by MIME_HEADER_MAX,
 *	the fields looked at by DMARC_FROM_FIELDS_MAX and the mailboxes per
 *	field by FROM_MAILBOXES_MAX; domains are copied into fixed buffers
 *	only after their length is checked. The fuzz harness
 *	fuzz/fuzz_dmarc_from.c feeds it arbitrary headers.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>

#include "dmarc/dmarc.h"
#include "dns/name.h"
#include "mime/header.h"
#include "mime/parts.h"

#define FROM_MAILBOXES_MAX 64

void
dmarc_from_init(void)
{
	mime_gmime_init();
}

/* Keep domain (of an address "local@domain") unless already kept. */
static void
add_domain(struct dmarc_from *from, const char *addr)
{
	const char *at = strrchr(addr, '@');
	char domain[DMARC_DOMAIN_MAX];
	size_t len;

	if (at == NULL) {
		from->n_unusable++;
		return;
	}
	len = strlen(at + 1);
	if (len > 0 && at[len] == '.')
		len--;
	if (len == 0 || len >= sizeof(domain)) {
		from->n_unusable++;
		return;
	}
	for (size_t i = 0; i < len; i++)
		domain[i] = (char)tolower((unsigned char)at[1 + i]);
	domain[len] = '\0';
	if (!dns_name_valid_hostname_labels(domain, 1)) {
		from->n_unusable++;
		return;
	}
	/* Past DMARC_FROM_MAX, a domain is only counted, not kept. */
	for (size_t i = 0; i < from->n_domains && i < DMARC_FROM_MAX; i++)
		if (strcmp(from->domains[i], domain) == 0)
			return;
	if (from->n_domains < DMARC_FROM_MAX)
		memcpy(from->domains[from->n_domains], domain, len + 1);
	/* Counted past the array, so that "several" is never lost. */
	if (from->n_domains <= DMARC_FROM_MAX)
		from->n_domains++;
}

/* Every mailbox of list, and of the groups in it (one level). */
static void
add_list(struct dmarc_from *from, InternetAddressList *list, bool in_group,
    size_t *budget)
{
	int n = list != NULL ? internet_address_list_length(list) : 0;

	for (int i = 0; i < n && *budget > 0; i++) {
		InternetAddress *ia = internet_address_list_get_address(list, i);

		if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
			(*budget)--;
			from->n_addresses++;
			add_domain(from, internet_address_mailbox_get_idn_addr(
			    INTERNET_ADDRESS_MAILBOX(ia)));
		} else if (INTERNET_ADDRESS_IS_GROUP(ia) && !in_group) {
			add_list(from, internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia)), true, budget);
		}
	}
}

/* One From field's value. */
static void
add_field(struct dmarc_from *from, GMimeParserOptions *options,
    const char *value)
{
	InternetAddressList *list = internet_address_list_parse(options, value);
	size_t budget = FROM_MAILBOXES_MAX;
	size_t before = from->n_addresses;

	add_list(from, list, false, &budget);
	if (from->n_addresses == before)
		from->n_unusable++;
	if (list != NULL)
		g_object_unref(list);
}

/* The status the counts add up to. */
static enum dmarc_from_status
from_status(const struct dmarc_from *from)
{
	if (from->n_fields == 0)
		return DMARC_FROM_ABSENT;
	if (from->n_domains == 0)
		return DMARC_FROM_NO_DOMAIN;
	return from->n_domains == 1 ? DMARC_FROM_OK : DMARC_FROM_MULTIPLE;
}

enum dmarc_from_status
dmarc_from_parse(const unsigned char *message, size_t len,
    struct dmarc_from *from)
{
	GMimeParserOptions *options;
	struct mime_header_field field;
	enum mime_header_status st;
	size_t pos = 0;

	memset(from, 0, sizeof(*from));
	dmarc_from_init();
	options = g_mime_parser_options_new();
	g_mime_parser_options_set_address_compliance_mode(options,
	    GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_allow_addresses_without_domain(options, TRUE);
	do {
		/* A malformed line may leave the name as it was. */
		field.name[0] = '\0';
		st = mime_header_next((const char *)message, len, &pos, &field);
		if (st != MIME_HEADER_END &&
		    strcasecmp(field.name, "From") == 0) {
			from->n_fields++;
			if (st == MIME_HEADER_FIELD)
				add_field(from, options, field.value);
			else
				from->n_unusable++;
		}
		free(field.value);
	} while (st != MIME_HEADER_END &&
	    from->n_fields < DMARC_FROM_FIELDS_MAX);
	g_mime_parser_options_free(options);
	return from_status(from);
}
