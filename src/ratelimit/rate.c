/*
 * rate.c - parse "500 per 1h"; see rate.h
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ratelimit/rate.h"

/* Seconds per unit, by every spelling rate.h lists. */
static const struct {
	const char *word;
	unsigned seconds;
} rate_units[] = {
	{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 },
	{ "seconds", 1 },
	{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 },
	{ "minutes", 60 },
	{ "h", 3600 }, { "hour", 3600 }, { "hours", 3600 },
	{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	{ "w", 604800 }, { "week", 604800 }, { "weeks", 604800 },
};

/* Read a decimal integer of at most 12 digits at *p; false if none. */
static bool
read_number(const char **p, uint64_t *n_r)
{
	const char *s = *p;
	uint64_t n = 0;
	int digits = 0;

	while (isdigit((unsigned char)*s) && digits < 13) {
		n = n * 10 + (uint64_t)(*s++ - '0');
		digits++;
	}
	if (digits == 0 || digits > 12)
		return false;
	*n_r = n;
	*p = s;
	return true;
}

static void
skip_spaces(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

/* Read the unit word at *p (letters only, lowercased) into its seconds. */
static bool
read_unit(const char **p, uint64_t *seconds_r)
{
	char word[16];
	size_t n = 0;

	while (isalpha((unsigned char)**p)) {
		if (n + 1 >= sizeof(word))
			return false;
		word[n++] = (char)tolower((unsigned char)*(*p)++);
	}
	word[n] = '\0';
	for (size_t i = 0; i < sizeof(rate_units) / sizeof(rate_units[0]); i++)
		if (strcmp(rate_units[i].word, word) == 0) {
			*seconds_r = rate_units[i].seconds;
			return true;
		}
	return false;
}

bool
rl_rate_parse(const char *text, struct rl_limit *limit, char *err,
    size_t errlen)
{
	const char *p = text;
	uint64_t count, periods = 1, unit;
	struct rl_limit l = { 0 };

	skip_spaces(&p);
	if (!read_number(&p, &count) || count == 0) {
		snprintf(err, errlen, "'%s': no count (like '500 per 1h')",
		    text);
		return false;
	}
	skip_spaces(&p);
	if (*p == '/')
		p++;
	else if (strncasecmp(p, "per", 3) == 0 && (p[3] == ' ' ||
	    p[3] == '\t'))
		p += 3;
	else {
		snprintf(err, errlen, "'%s': expected 'per' after the count",
		    text);
		return false;
	}
	skip_spaces(&p);
	if (isdigit((unsigned char)*p) && (!read_number(&p, &periods) ||
	    periods == 0)) {
		snprintf(err, errlen, "'%s': bad period", text);
		return false;
	}
	skip_spaces(&p);
	if (!read_unit(&p, &unit)) {
		snprintf(err, errlen, "'%s': unknown unit (s, m, h, d or w)",
		    text);
		return false;
	}
	skip_spaces(&p);
	if (*p != '\0') {
		snprintf(err, errlen, "'%s': unexpected text after the period",
		    text);
		return false;
	}
	if (periods > RL_PERIOD_MAX / RL_NS_PER_SEC / unit) {
		snprintf(err, errlen, "'%s': period longer than 366 days", text);
		return false;
	}
	l.count = count;
	l.period_ns = periods * unit * RL_NS_PER_SEC;
	l.burst = count;
	if (!rl_limit_valid(&l, err, errlen))
		return false;
	limit->count = l.count;
	limit->period_ns = l.period_ns;
	return true;
}
