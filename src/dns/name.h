/*
 * name.h - domain and host names as text
 *
 * dns_name_valid_hostname() tells whether a name is a syntactically valid
 * host name of at least two labels (what a HELO/EHLO argument or a mail
 * domain must be); dns_name_valid_hostname_labels() lets the caller choose
 * the least number of labels (1 admits "localhost"). Both apply the RFC 1123
 * letter-digit-hyphen rule: labels of 1 to DNS_LABEL_MAX characters from
 * [A-Za-z0-9-], not starting or ending with '-', the whole name at most
 * DNS_NAME_MAX characters (a trailing dot, which marks a fully qualified
 * name, is allowed and not counted), and a top-level label that is not all
 * digits (so "192.0.2.1" is not a host name).
 *
 * dns_name_matches() compares a name with a domain pattern the way
 * postmasters write domain lists: "example.org" matches that name only,
 * ".example.org" matches any name below it but not example.org itself.
 * Both sides are compared without regard to ASCII case or a trailing dot.
 *
 * All functions are pure and thread safe.
 *
 * SECURITY: names come from SMTP clients. Every function reads at most
 * DNS_NAME_MAX + 2 bytes of its input and never past the terminating NUL.
 */
#ifndef MXWARD_DNS_NAME_H
#define MXWARD_DNS_NAME_H

#include <stdbool.h>

#define DNS_NAME_MAX 253  /* characters, without the trailing dot */
#define DNS_LABEL_MAX 63

bool dns_name_valid_hostname(const char *name);
bool dns_name_valid_hostname_labels(const char *name, unsigned min_labels);
bool dns_name_matches(const char *name, const char *pattern);

#endif
