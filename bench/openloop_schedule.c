// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duration.h"
#include "openloop_schedule.h"

static int failf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* one step from RATE and DURATION strings; where names it in messages */
static int add_step(struct ol_schedule *s, const char *rate, const char *dur, const char *where,
		    char *err, size_t errlen)
{
	const char *why = NULL;
	uint64_t ns;
	double r;
	char *end;

	if (s->n >= OL_MAX_STEPS)
		return failf(err, errlen, "%s: more than %d steps", where, OL_MAX_STEPS);
	if (!*rate || !(*rate >= '0' && *rate <= '9'))
		return failf(err, errlen, "%s: rate '%s' is not a number", where, rate);
	errno = 0;
	r = strtod(rate, &end);
	if (errno || *end || !isfinite(r))
		return failf(err, errlen, "%s: rate '%s' is not a number", where, rate);
	if (r > OL_MAX_RATE)
		return failf(err, errlen, "%s: rate '%s' is above %.0f requests/s", where, rate,
			     OL_MAX_RATE);
	if (slo_parse_duration(dur, &ns, &why))
		return failf(err, errlen, "%s: duration '%s': %s", where, dur, why);
	if (!ns || ns > OL_MAX_STEP_NS)
		return failf(err, errlen, "%s: duration '%s' must be above 0 and at most 1h",
			     where, dur);
	s->steps[s->n++] = (struct ol_step){ .rate = r, .duration_ns = ns };
	s->total_ns += ns;
	return 0;
}

/* a schedule whose arrivals would not fit in memory is refused whole */
static int check_total(const struct ol_schedule *s, const char *where, char *err, size_t errlen)
{
	double expected = 0;
	size_t i;

	if (!s->n)
		return failf(err, errlen, "%s: no steps", where);
	for (i = 0; i < s->n; i++)
		expected += s->steps[i].rate * (double)s->steps[i].duration_ns / 1e9;
	if (expected > (double)OL_MAX_REQUESTS)
		return failf(err, errlen, "%s: %.0f requests expected, at most %llu", where,
			     expected, (unsigned long long)OL_MAX_REQUESTS);
	return 0;
}

int ol_schedule_parse(const char *list, struct ol_schedule *s, char *err, size_t errlen)
{
	char *copy, *tok, *save = NULL, where[48];
	int ret = 0, i = 0;

	memset(s, 0, sizeof(*s));
	if (!list || !*list)
		return failf(err, errlen, "steps: empty list (want RATE:DURATION,...)");
	copy = strdup(list);
	if (!copy)
		return failf(err, errlen, "steps: out of memory");
	/* strtok_r would skip an empty element: look for one first */
	if (list[0] == ',' || list[strlen(list) - 1] == ',' || strstr(list, ",,")) {
		free(copy);
		return failf(err, errlen, "steps: empty step in '%s'", list);
	}
	for (tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(tok, ':');

		snprintf(where, sizeof(where), "step %d", ++i);
		if (!colon) {
			ret = failf(err, errlen, "%s: '%s' is not RATE:DURATION", where, tok);
			break;
		}
		*colon = '\0';
		ret = add_step(s, tok, colon + 1, where, err, errlen);
	}
	free(copy);
	return ret ? ret : check_total(s, "steps", err, errlen);
}

int ol_schedule_parse_file(const char *path, struct ol_schedule *s, char *err, size_t errlen)
{
	char line[256], where[300], rate[64], dur[64], extra[2];
	int lineno = 0, ret = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen(path, "r");
	if (!f)
		return failf(err, errlen, "%s: %s", path, strerror(errno));
	while (!ret && fgets(line, sizeof(line), f)) {
		char *hash = strchr(line, '#');
		int n;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (!strchr(line, '\n') && !feof(f)) {
			ret = failf(err, errlen, "%s: line longer than %zu bytes", where,
				    sizeof(line) - 2);
			break;
		}
		if (hash)
			*hash = '\0';
		n = sscanf(line, "%63s %63s %1s", rate, dur, extra);
		if (n <= 0)
			continue;
		if (n != 2) {
			ret = failf(err, errlen, "%s: want 'RATE DURATION'", where);
			break;
		}
		ret = add_step(s, rate, dur, where, err, errlen);
	}
	if (!ret && ferror(f))
		ret = failf(err, errlen, "%s: read error", path);
	fclose(f);
	return ret ? ret : check_total(s, path, err, errlen);
}

/* splitmix64: small, fast, and the same sequence everywhere for a seed */
static uint64_t next_u64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* uniform in (0, 1]: never 0, whose log is -inf */
static double uniform(uint64_t *x)
{
	return ((double)(next_u64(x) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

void ol_arrivals_init(struct ol_arrivals *a, const struct ol_schedule *s, uint64_t seed)
{
	memset(a, 0, sizeof(*a));
	a->s = s;
	a->rng = seed;
}

bool ol_arrivals_next(struct ol_arrivals *a, uint64_t *at_ns, uint32_t *step)
{
	while (a->step < a->s->n) {
		const struct ol_step *st = &a->s->steps[a->step];
		uint64_t end = a->step_start_ns + st->duration_ns;

		if (st->rate > 0) {
			double t = a->t_ns - log(uniform(&a->rng)) * 1e9 / st->rate;

			if (t < (double)end) {
				a->t_ns = t;
				*at_ns = (uint64_t)t;
				*step = (uint32_t)a->step;
				return true;
			}
		}
		a->step++;
		a->step_start_ns = end;
		a->t_ns = (double)end;
	}
	return false;
}
