// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "openloop_report.h"

#define NSEC_PER_MSEC	1000000ULL

struct win {
	uint64_t scheduled, good, shed, bad;	/* bad: admitted, not good */
};

void ol_report_opts_default(struct ol_report_opts *o, uint64_t budget_ns, uint64_t timeout_ns)
{
	*o = (struct ol_report_opts){
		.budget_ns = budget_ns,
		.timeout_ns = timeout_ns,
		.window_ns = 250 * NSEC_PER_MSEC,
		.hold_ns = 1000 * NSEC_PER_MSEC,
		.healthy = 0.95,
		.clear_shed = 0.01,
	};
}

static bool is_ok(const struct ol_record *r) { return r->status >= 200 && r->status < 300; }
static bool is_shed(const struct ol_record *r) { return r->status == OL_STATUS_SHED; }

static uint64_t latency(const struct ol_record *r)
{
	return r->done_ns > r->sched_ns ? r->done_ns - r->sched_ns : 0;
}

static bool is_good(const struct ol_record *r, const struct ol_report_opts *o)
{
	return is_ok(r) && latency(r) <= o->budget_ns;
}

static void win_add(struct win *w, const struct ol_record *r, const struct ol_report_opts *o)
{
	w->scheduled++;
	if (is_shed(r))
		w->shed++;
	else if (is_good(r, o))
		w->good++;
	else
		w->bad++;
}

static bool win_healthy(const struct win *w, const struct ol_report_opts *o)
{
	uint64_t admitted = w->good + w->bad;

	return !admitted || (double)w->good >= o->healthy * (double)admitted;
}

static bool win_clear(const struct win *w, const struct ol_report_opts *o)
{
	return win_healthy(w, o) &&
	       (!w->scheduled || (double)w->shed <= o->clear_shed * (double)w->scheduled);
}

/*
 * The first window that starts a run of windows passing ok() lasting hold,
 * or running to the end; -1 when there is none.
 */
static long first_lasting(const struct win *w, size_t nw, const struct ol_report_opts *o,
			  bool (*ok)(const struct win *, const struct ol_report_opts *))
{
	size_t hold = (size_t)((o->hold_ns + o->window_ns - 1) / o->window_ns), run = 0, k;

	/* from the end backwards: run = how many windows from k on pass */
	long best = -1;

	for (k = nw; k-- > 0;) {
		run = ok(&w[k], o) ? run + 1 : 0;
		if (run >= hold || (run && run == nw - k))
			best = (long)k;
	}
	return best;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* nearest-rank percentile of n sorted values, in ms; "null" when empty */
static void print_pct(FILE *f, const char *name, const uint64_t *v, size_t n, double p)
{
	size_t idx;

	if (!n) {
		fprintf(f, "\"%s\":null", name);
		return;
	}
	idx = (size_t)(p * (double)n + 0.999999999);
	idx = idx ? idx - 1 : 0;
	if (idx >= n)
		idx = n - 1;
	fprintf(f, "\"%s\":%.3f", name, (double)v[idx] / 1e6);
}

static void print_secs_or_null(FILE *f, const char *name, long k, const struct ol_report_opts *o)
{
	if (k < 0)
		fprintf(f, "\"%s\":null", name);
	else
		fprintf(f, "\"%s\":%.3f", name, (double)k * (double)o->window_ns / 1e9);
}

static void print_u64_array(FILE *f, const char *name, const struct win *w, size_t nw,
			    size_t field)
{
	size_t k;

	fprintf(f, "\"%s\":[", name);
	for (k = 0; k < nw; k++)
		fprintf(f, "%s%llu", k ? "," : "",
			(unsigned long long)((const uint64_t *)&w[k])[field]);
	fputc(']', f);
}

int ol_report_json(FILE *f, const struct ol_schedule *s, const struct ol_record *rec, size_t n,
		   const struct ol_report_opts *o)
{
	size_t nw = (size_t)((s->total_ns + o->window_ns - 1) / o->window_ns), i, k, first = 0;
	uint64_t *adm = NULL, *ok = NULL, *lag = NULL, step_start = 0;
	struct win *all = calloc(nw ? nw : 1, sizeof(*all)), *local = NULL;
	int ret = -1;

	adm = malloc((n ? n : 1) * sizeof(*adm));
	ok = malloc((n ? n : 1) * sizeof(*ok));
	lag = malloc((n ? n : 1) * sizeof(*lag));
	local = calloc(nw + s->n + 1, sizeof(*local));
	if (!all || !adm || !ok || !lag || !local)
		goto out;

	for (i = 0; i < n; i++) {
		k = (size_t)(rec[i].sched_ns / o->window_ns);
		win_add(&all[k < nw ? k : nw - 1], &rec[i], o);
	}

	fputs("{\"steps\":[", f);
	for (i = 0; i < s->n; i++) {
		const struct ol_step *st = &s->steps[i];
		size_t nadm = 0, nok = 0, nlag = 0, end, lw = (size_t)((st->duration_ns + o->window_ns - 1) / o->window_ns);
		uint64_t good = 0, shed = 0, errors = 0, no_answer = 0, overflow = 0, sched = 0;
		double secs = (double)st->duration_ns / 1e9;

		memset(local, 0, lw * sizeof(*local));
		for (end = first; end < n && rec[end].step == i; end++) {
			const struct ol_record *r = &rec[end];
			uint64_t lat = latency(r);

			sched++;
			k = (size_t)((r->sched_ns - step_start) / o->window_ns);
			win_add(&local[k < lw ? k : lw - 1], r, o);
			lag[nlag++] = r->send_ns > r->sched_ns ? r->send_ns - r->sched_ns : 0;
			if (r->status == OL_STATUS_OVERFLOW)
				overflow++;
			if (is_shed(r)) {
				shed++;
				continue;
			}
			if (is_ok(r)) {
				ok[nok++] = lat;
				good += lat <= o->budget_ns;
			} else {
				errors++;
				no_answer += r->status <= 0;
				if (lat < o->timeout_ns)
					lat = o->timeout_ns;
			}
			adm[nadm++] = lat;
		}
		first = end;
		step_start += st->duration_ns;
		qsort(adm, nadm, sizeof(*adm), cmp_u64);
		qsort(ok, nok, sizeof(*ok), cmp_u64);
		qsort(lag, nlag, sizeof(*lag), cmp_u64);

		fprintf(f, "%s{\"step\":%zu,\"rate\":%.6g,\"duration_s\":%.6g,\"scheduled\":%llu,"
			"\"offered_rps\":%.3f,\"ok\":%zu,\"good\":%llu,\"shed\":%llu,\"errors\":%llu,"
			"\"no_answer\":%llu,\"overflow\":%llu,\"goodput_rps\":%.3f,\"shed_frac\":%.6f,",
			i ? "," : "", i, st->rate, secs, (unsigned long long)sched,
			(double)sched / secs, nok, (unsigned long long)good, (unsigned long long)shed,
			(unsigned long long)errors, (unsigned long long)no_answer,
			(unsigned long long)overflow, (double)good / secs,
			sched ? (double)shed / (double)sched : 0.0);
		print_pct(f, "admitted_p50_ms", adm, nadm, 0.50);
		fputc(',', f);
		print_pct(f, "admitted_p99_ms", adm, nadm, 0.99);
		fputc(',', f);
		print_pct(f, "ok_p50_ms", ok, nok, 0.50);
		fputc(',', f);
		print_pct(f, "ok_p99_ms", ok, nok, 0.99);
		fputc(',', f);
		print_pct(f, "send_lag_p99_ms", lag, nlag, 0.99);
		fputc(',', f);
		print_secs_or_null(f, "settle_s", first_lasting(local, lw, o, win_healthy), o);
		fputc(',', f);
		print_secs_or_null(f, "clear_s", first_lasting(local, lw, o, win_clear), o);
		fputc('}', f);
	}
	fprintf(f, "],\"windows\":{\"window_s\":%.6g,", (double)o->window_ns / 1e9);
	print_u64_array(f, "scheduled", all, nw, offsetof(struct win, scheduled) / sizeof(uint64_t));
	fputc(',', f);
	print_u64_array(f, "good", all, nw, offsetof(struct win, good) / sizeof(uint64_t));
	fputc(',', f);
	print_u64_array(f, "shed", all, nw, offsetof(struct win, shed) / sizeof(uint64_t));
	fputc(',', f);
	print_u64_array(f, "bad", all, nw, offsetof(struct win, bad) / sizeof(uint64_t));
	fputs("}}", f);
	ret = ferror(f) ? -1 : 0;
out:
	free(all);
	free(local);
	free(adm);
	free(ok);
	free(lag);
	return ret;
}
