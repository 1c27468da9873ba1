// SPDX-License-Identifier: GPL-2.0
/*
 * The SLO configuration parser.  The file comes from whoever can write the
 * ConfigMap, so it is treated as hostile: the raw bytes are checked before
 * libyaml sees them, YAML features we do not need (anchors, aliases, tags,
 * directives, several documents) are refused rather than interpreted, and
 * the first problem rejects the whole file.  libyaml is driven event by
 * event so that parsing stops at the first unexpected node: nothing deeper
 * than the format allows is ever built.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "../bpf/scx_slo.h"
#include "budget_rule.h"
#include "cgroup.h"
#include "config.h"
#include "duration.h"

/* Room for a path of SLO_CONFIG_MAX_PATH bytes and its NUL. */
#define PATH_BUF		(SLO_CONFIG_MAX_PATH + 1)
/* Open-addressing table of entry indexes, at most half full. */
#define DUP_SLOTS		(2 * SLO_MAX_BUDGETS)
_Static_assert((DUP_SLOTS & (DUP_SLOTS - 1)) == 0, "DUP_SLOTS must be a power of two");
/* How much of a user-supplied string a message shows. */

struct parser {
	yaml_parser_t yp;
	yaml_event_t ev;
	bool have_ev;
	const unsigned char *buf;
	size_t len;
	const char *name;
	char *err;
	size_t errlen;
	struct slo_config cfg;		/* what is being built */
	size_t cap;			/* of cfg.entries */
	uint32_t *slots;		/* entry index + 1, 0 = free */
	char path[PATH_BUF];		/* scratch for normalisation */
};

static unsigned int mark_line(const yaml_mark_t *mark)
{
	/* libyaml counts lines from 0; people and editors from 1 */
	return mark->line >= 0xfffffffeUL ? 0xffffffffU : (unsigned int)mark->line + 1;
}

static unsigned int ev_line(const struct parser *p)
{
	return mark_line(&p->ev.start_mark);
}

static void set_err(char *err, size_t errlen, const char *name, unsigned int line,
		    const char *fmt, va_list ap)
{
	char msg[512];

	if (!err || !errlen)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line)
		snprintf(err, errlen, "%s:%u: %s", name, line, msg);
	else
		snprintf(err, errlen, "%s: %s", name, msg);
}

/* Line 0 means the problem belongs to the file, not to one of its lines. */
__attribute__((format(printf, 5, 6)))
static int file_err(char *err, size_t errlen, const char *name, unsigned int line,
		    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(err, errlen, name, line, fmt, ap);
	va_end(ap);
	return -1;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(p->err, p->errlen, p->name, line, fmt, ap);
	va_end(ap);
	return -1;
}

/* A user-supplied value, quoted for a message (budget_rule.h). */
static const char *show(const unsigned char *s, size_t len, char *buf, size_t size)
{
	return slo_quote_value(s, len, buf, size);
}

/* ------------------------------------------------------------------------
 * Raw bytes: size, line length, encoding.
 */

/*
 * Length of the line break at @s (0 if none), counted the way libyaml counts
 * lines so that our line numbers and its marks agree: LF, CR, CRLF, and the
 * Unicode breaks NEL, LS and PS.
 */
static size_t break_len(const unsigned char *s, size_t left)
{
	if (s[0] == '\n')
		return 1;
	if (s[0] == '\r')
		return left > 1 && s[1] == '\n' ? 2 : 1;
	if (left > 1 && s[0] == 0xc2 && s[1] == 0x85)
		return 2;
	if (left > 2 && s[0] == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9))
		return 3;
	return 0;
}

/* Decode one UTF-8 character strictly (no overlongs, surrogates, > U+10FFFF). */
static size_t utf8_decode(const unsigned char *s, size_t left, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/* The characters YAML allows in a stream (libyaml refuses all others). */
static bool yaml_printable(uint32_t cp)
{
	return cp == 0x09 || cp == 0x0a || cp == 0x0d ||
	       (cp >= 0x20 && cp <= 0x7e) || cp == 0x85 ||
	       (cp >= 0xa0 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) ||
	       (cp >= 0x10000 && cp <= 0x10ffff);
}

/*
 * One pass over the bytes, reporting the first problem in file order, so
 * that binary data gets a clear message instead of whatever libyaml makes
 * of it, and no line is long enough to matter.
 */
static int check_bytes(struct parser *p)
{
	const unsigned char *s = p->buf;
	size_t i = 0, col = 0;
	unsigned int line = 1;

	while (i < p->len) {
		size_t n = break_len(s + i, p->len - i);
		uint32_t cp;

		if (n) {
			i += n;
			line++;
			col = 0;
			continue;
		}
		if (s[i] == '\0')
			return fail(p, line, "NUL byte in the file (binary data?)");
		n = utf8_decode(s + i, p->len - i, &cp);
		if (!n)
			return fail(p, line, "invalid UTF-8 (binary data?)");
		if (!yaml_printable(cp))
			return fail(p, line, "control character U+%04X is not allowed",
				    (unsigned int)cp);
		i += n;
		col += n;
		if (col > SLO_CONFIG_MAX_LINE)
			return fail(p, line, "line is longer than %d bytes",
				    SLO_CONFIG_MAX_LINE);
	}
	return 0;
}

/* Line of byte @offset, for the rare libyaml error that carries no mark. */
static unsigned int offset_line(const struct parser *p, size_t offset)
{
	unsigned int line = 1;
	size_t i = 0;

	while (i < offset && i < p->len) {
		size_t n = break_len(p->buf + i, p->len - i);

		if (n) {
			line++;
			i += n;
		} else {
			i++;
		}
	}
	return line;
}

/* ------------------------------------------------------------------------
 * YAML events.
 */

static int yaml_err(struct parser *p)
{
	const yaml_parser_t *yp = &p->yp;
	const char *problem = yp->problem ? yp->problem : "unknown error";

	switch (yp->error) {
	case YAML_MEMORY_ERROR:
		return fail(p, 0, "out of memory");
	case YAML_READER_ERROR:
		return fail(p, offset_line(p, yp->problem_offset), "%s", problem);
	case YAML_SCANNER_ERROR:
	case YAML_PARSER_ERROR: {
		unsigned int line = mark_line(&yp->problem_mark),
			     context_line = mark_line(&yp->context_mark);

		if (!yp->context)
			return fail(p, line, "YAML syntax error: %s", problem);
		/*
		 * A key missing its ':' is noticed where the scanner gave up,
		 * often lines later (or past the end): the key's line is the
		 * one to fix.
		 */
		if (yp->error == YAML_SCANNER_ERROR &&
		    !strcmp(yp->context, "while scanning a simple key"))
			line = context_line;
		if (line == context_line)
			return fail(p, line, "YAML syntax error: %s (%s)", problem,
				    yp->context);
		return fail(p, line, "YAML syntax error: %s (%s at line %u)", problem,
			    yp->context, context_line);
	}
	default:
		return fail(p, mark_line(&yp->problem_mark), "YAML error: %s", problem);
	}
}

/*
 * Move to the next event, refusing the YAML features the format does not
 * use wherever they appear: an alias could make one entry stand for many,
 * and a tag or directive would change how a value is read.
 */
static int next_event(struct parser *p)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (p->have_ev) {
		yaml_event_delete(&p->ev);
		p->have_ev = false;
	}
	if (!yaml_parser_parse(&p->yp, &p->ev))
		return yaml_err(p);
	p->have_ev = true;

	switch (p->ev.type) {
	case YAML_DOCUMENT_START_EVENT:
		if (p->ev.data.document_start.version_directive ||
		    p->ev.data.document_start.tag_directives.start !=
		    p->ev.data.document_start.tag_directives.end)
			return fail(p, ev_line(p), "YAML directives (%%YAML, %%TAG) are not supported");
		break;
	case YAML_ALIAS_EVENT:
		return fail(p, ev_line(p), "YAML aliases (*name) are not supported");
	case YAML_SCALAR_EVENT:
		anchor = p->ev.data.scalar.anchor;
		tag = p->ev.data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = p->ev.data.sequence_start.anchor;
		tag = p->ev.data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = p->ev.data.mapping_start.anchor;
		tag = p->ev.data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return fail(p, ev_line(p), "YAML anchors (&name) are not supported");
	if (tag)
		return fail(p, ev_line(p), "YAML tags (!tag) are not supported");
	return 0;
}

static const unsigned char *scalar(const struct parser *p, size_t *len)
{
	*len = p->ev.data.scalar.length;
	return p->ev.data.scalar.value;
}

/* Is the current event the scalar @word?  Length-aware: "a\0b" is not "a". */
static bool scalar_is(const struct parser *p, const char *word)
{
	size_t len;
	const unsigned char *s = scalar(p, &len);

	return len == strlen(word) && !memcmp(s, word, len);
}

/* A plain null ("key:" with nothing after it, "~", "null"). */
static bool scalar_is_null(const struct parser *p)
{
	if (p->ev.type != YAML_SCALAR_EVENT ||
	    p->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return scalar_is(p, "") || scalar_is(p, "~") || scalar_is(p, "null") ||
	       scalar_is(p, "Null") || scalar_is(p, "NULL");
}

static const char *node_kind(const struct parser *p)
{
	switch (p->ev.type) {
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	default:
		return "a scalar";
	}
}

/* ------------------------------------------------------------------------
 * Values.
 */

/* The current event is the value of @what: a budget (budget_rule.h). */
static int parse_budget(struct parser *p, const char *what, uint64_t *ns)
{
	const unsigned char *s;
	char msg[SLO_QUOTE_BUF + 160];
	size_t len;

	if (p->ev.type != YAML_SCALAR_EVENT)
		return fail(p, ev_line(p), "%s must be a duration such as 5ms, not %s",
			    what, node_kind(p));
	s = scalar(p, &len);
	if (slo_check_budget(what, s, len, ns, msg, sizeof(msg)))
		return fail(p, ev_line(p), "%s", msg);
	return 0;
}

/* C0, DEL and C1 controls (U+0080..U+009F, UTF-8 c2 80..c2 9f). */
static bool has_control(const unsigned char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return true;
		if (s[i] == 0xc2 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			return true;
	}
	return false;
}

/* The current event is a cgroup path: normalise it into p->path. */
static int parse_cgroup(struct parser *p)
{
	char shown[SLO_QUOTE_BUF];
	const unsigned char *s;
	const char *why = NULL;
	size_t len;

	if (p->ev.type != YAML_SCALAR_EVENT)
		return fail(p, ev_line(p), "cgroup must be a path such as /kubepods.slice, not %s",
			    node_kind(p));
	s = scalar(p, &len);
	if (!len)
		return fail(p, ev_line(p), "cgroup has no value");
	if (len > SLO_CONFIG_MAX_PATH)
		return fail(p, ev_line(p), "cgroup path is longer than %d bytes",
			    SLO_CONFIG_MAX_PATH);
	show(s, len, shown, sizeof(shown));
	/* Only reachable through escapes in quoted strings ("\t", "\x01") */
	if (has_control(s, len))
		return fail(p, ev_line(p), "cgroup path '%s' contains a control character",
			    shown);
	if (slo_cgroup_normalize((const char *)s, p->path, sizeof(p->path), &why))
		return fail(p, ev_line(p), "bad cgroup '%s': %s", shown, why);
	return 0;
}

/* ------------------------------------------------------------------------
 * Entries.
 */

static uint64_t path_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* The entry already holding p->path, or NULL; remembers the slot to fill. */
static struct slo_config_entry *find_dup(struct parser *p, size_t *slot)
{
	size_t i = (size_t)path_hash(p->path) & (DUP_SLOTS - 1);

	/* never full: at most SLO_MAX_BUDGETS of DUP_SLOTS slots are used */
	while (p->slots[i]) {
		struct slo_config_entry *e = &p->cfg.entries[p->slots[i] - 1];

		if (!strcmp(e->path, p->path))
			return e;
		i = (i + 1) & (DUP_SLOTS - 1);
	}
	*slot = i;
	return NULL;
}

static int add_entry(struct parser *p, uint64_t budget_ns, unsigned int line,
		     const unsigned char *raw, size_t raw_len)
{
	char shown[SLO_QUOTE_BUF], shown_norm[SLO_QUOTE_BUF];
	struct slo_config_entry *e;
	size_t slot = 0;

	if (!p->slots) {
		p->slots = calloc(DUP_SLOTS, sizeof(*p->slots));
		if (!p->slots)
			return fail(p, 0, "out of memory");
	}
	e = find_dup(p, &slot);
	if (e) {
		show(raw, raw_len, shown, sizeof(shown));
		show((const unsigned char *)p->path, strlen(p->path), shown_norm,
		     sizeof(shown_norm));
		if (strcmp(shown, shown_norm))
			return fail(p, line, "duplicate cgroup '%s' (that is '%s', already at line %u)",
				    shown, shown_norm, e->line);
		return fail(p, line, "duplicate cgroup '%s' (already at line %u)",
			    shown, e->line);
	}
	if (p->cfg.nr_entries == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		void *grown;

		if (cap > SLO_MAX_BUDGETS)
			cap = SLO_MAX_BUDGETS;
		grown = realloc(p->cfg.entries, cap * sizeof(*e));
		if (!grown)
			return fail(p, 0, "out of memory");
		p->cfg.entries = grown;
		p->cap = cap;
	}
	e = &p->cfg.entries[p->cfg.nr_entries];
	e->path = strdup(p->path);
	if (!e->path)
		return fail(p, 0, "out of memory");
	e->budget_ns = budget_ns;
	e->line = line;
	e->source = SLO_FROM_CONFIG;
	p->slots[slot] = (uint32_t)++p->cfg.nr_entries;
	return 0;
}

enum entry_key { KEY_CGROUP, KEY_BUDGET, NR_KEYS };

static const char *const entry_keys[NR_KEYS] = { "cgroup", "budget" };

/*
 * The per-SLO CPU share of earlier versions.  CPU shares now follow the
 * cgroup's own cpu.weight, so an old file is refused, never half-applied.
 */
#define REMOVED_WEIGHT_MSG \
	"'weight' is no longer supported: CPU shares follow the cgroup's " \
	"cpu.weight (the pod's CPU request); remove it"

/* The current event starts an entry's mapping. */
static int parse_entry(struct parser *p)
{
	unsigned int entry_line = ev_line(p), seen[NR_KEYS] = { 0 }, path_line = 0;
	unsigned char *raw = NULL;
	uint64_t budget_ns = 0;
	size_t raw_len = 0;
	int ret = -1;

	for (;;) {
		char shown[SLO_QUOTE_BUF];
		const unsigned char *s;
		unsigned int key_line;
		size_t len;
		int k;

		if (next_event(p))
			goto out;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			break;
		key_line = ev_line(p);
		if (p->ev.type != YAML_SCALAR_EVENT) {
			fail(p, key_line, "expected a key (cgroup or budget), not %s",
			     node_kind(p));
			goto out;
		}
		for (k = 0; k < NR_KEYS; k++)
			if (scalar_is(p, entry_keys[k]))
				break;
		if (k == NR_KEYS && scalar_is(p, "weight")) {
			fail(p, key_line, REMOVED_WEIGHT_MSG);
			goto out;
		}
		if (k == NR_KEYS) {
			s = scalar(p, &len);
			fail(p, key_line, "unknown key '%s' in SLO entry (expected cgroup or budget)",
			     show(s, len, shown, sizeof(shown)));
			goto out;
		}
		if (seen[k]) {
			fail(p, key_line, "duplicate key '%s' (already at line %u)",
			     entry_keys[k], seen[k]);
			goto out;
		}
		seen[k] = key_line;
		if (next_event(p))
			goto out;
		switch (k) {
		case KEY_CGROUP:
			/* leaves the normalised path in p->path until add_entry() */
			if (parse_cgroup(p))
				goto out;
			/* and the path as written, for the duplicate message */
			s = scalar(p, &len);
			raw = malloc(len + 1);
			if (!raw) {
				fail(p, 0, "out of memory");
				goto out;
			}
			memcpy(raw, s, len);
			raw[len] = '\0';
			raw_len = len;
			path_line = ev_line(p);
			break;
		case KEY_BUDGET:
			if (parse_budget(p, "budget", &budget_ns))
				goto out;
			break;
		}
	}
	if (!seen[KEY_CGROUP]) {
		fail(p, entry_line, "SLO entry has no cgroup");
		goto out;
	}
	if (!seen[KEY_BUDGET]) {
		char shown[SLO_QUOTE_BUF];

		fail(p, entry_line, "SLO entry for '%s' has no budget",
		     show(raw, raw_len, shown, sizeof(shown)));
		goto out;
	}
	ret = add_entry(p, budget_ns, path_line, raw, raw_len);
out:
	free(raw);
	return ret;
}

/* The current event starts the slos list. */
static int parse_slos(struct parser *p)
{
	for (;;) {
		if (next_event(p))
			return -1;
		if (p->ev.type == YAML_SEQUENCE_END_EVENT)
			return 0;
		if (p->ev.type != YAML_MAPPING_START_EVENT)
			return fail(p, ev_line(p),
				    "each entry of slos must be a mapping with cgroup and budget, not %s",
				    node_kind(p));
		if (p->cfg.nr_entries == SLO_MAX_BUDGETS)
			return fail(p, ev_line(p), "more than %d SLO entries (the most the scheduler's map holds)",
				    SLO_MAX_BUDGETS);
		if (parse_entry(p))
			return -1;
	}
}

/* The current event starts the top-level mapping. */
static int parse_top(struct parser *p)
{
	unsigned int default_line = 0, slos_line = 0;

	for (;;) {
		char shown[SLO_QUOTE_BUF];
		unsigned int key_line;
		const unsigned char *s;
		size_t len;

		if (next_event(p))
			return -1;
		if (p->ev.type == YAML_MAPPING_END_EVENT)
			return 0;
		key_line = ev_line(p);
		if (p->ev.type != YAML_SCALAR_EVENT)
			return fail(p, key_line, "expected a key (default_budget or slos), not %s",
				    node_kind(p));
		if (scalar_is(p, "default_budget")) {
			if (default_line)
				return fail(p, key_line, "duplicate key 'default_budget' (already at line %u)",
					    default_line);
			default_line = key_line;
			if (next_event(p) ||
			    parse_budget(p, "default_budget", &p->cfg.default_budget_ns))
				return -1;
			p->cfg.has_default_budget = true;
			p->cfg.default_budget_line = key_line;
		} else if (scalar_is(p, "slos")) {
			if (slos_line)
				return fail(p, key_line, "duplicate key 'slos' (already at line %u)",
					    slos_line);
			slos_line = key_line;
			if (next_event(p))
				return -1;
			/* "slos:" with every entry commented out: no SLOs */
			if (scalar_is_null(p))
				continue;
			if (p->ev.type != YAML_SEQUENCE_START_EVENT)
				return fail(p, ev_line(p), "slos must be a list of entries, not %s",
					    node_kind(p));
			if (parse_slos(p))
				return -1;
		} else {
			s = scalar(p, &len);
			return fail(p, key_line, "unknown key '%s' (expected default_budget or slos)",
				    show(s, len, shown, sizeof(shown)));
		}
	}
}

static int parse_stream(struct parser *p)
{
	unsigned int doc_line;

	if (next_event(p))	/* STREAM-START */
		return -1;
	if (next_event(p))
		return -1;
	if (p->ev.type == YAML_STREAM_END_EVENT)
		return fail(p, 1, "no configuration (the file is empty or only comments)");
	/* DOCUMENT-START, then the root node */
	doc_line = ev_line(p);
	if (next_event(p))
		return -1;
	if (scalar_is_null(p))
		return fail(p, doc_line, "no configuration (the document is empty)");
	if (p->ev.type != YAML_MAPPING_START_EVENT)
		return fail(p, ev_line(p), "the top level must be a mapping with default_budget and/or slos, not %s",
			    node_kind(p));
	if (parse_top(p))
		return -1;
	if (next_event(p))	/* DOCUMENT-END */
		return -1;
	if (next_event(p))
		return -1;
	if (p->ev.type != YAML_STREAM_END_EVENT)
		return fail(p, ev_line(p), "multiple YAML documents are not supported");
	return 0;
}

void slo_config_free(struct slo_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < cfg->nr_entries; i++)
		free(cfg->entries[i].path);
	free(cfg->entries);
	memset(cfg, 0, sizeof(*cfg));
	cfg->default_budget_ns = SLO_DEFAULT_BUDGET_NS;
}

int slo_config_parse(const char *buf, size_t len, const char *name,
		     struct slo_config *out, char *err, size_t errlen)
{
	struct parser *p;
	int ret;

	if (!name)
		name = "<config>";
	if (len > SLO_CONFIG_MAX_BYTES)
		return file_err(err, errlen, name, 0, "file is larger than 1 MiB (%zu bytes)",
				len);
	/* 4 KiB of scratch path: on the heap, the loader may run this on a small stack */
	p = calloc(1, sizeof(*p));
	if (!p)
		return file_err(err, errlen, name, 0, "out of memory");
	p->buf = (const unsigned char *)(buf ? buf : "");
	p->len = buf ? len : 0;
	p->name = name;
	p->err = err;
	p->errlen = errlen;
	p->cfg.default_budget_ns = SLO_DEFAULT_BUDGET_NS;

	ret = check_bytes(p);
	if (!ret) {
		if (!yaml_parser_initialize(&p->yp)) {
			ret = fail(p, 0, "out of memory");
		} else {
			yaml_parser_set_input_string(&p->yp, p->buf, p->len);
			yaml_parser_set_encoding(&p->yp, YAML_UTF8_ENCODING);
			ret = parse_stream(p);
			if (p->have_ev)
				yaml_event_delete(&p->ev);
			yaml_parser_delete(&p->yp);
		}
	}
	free(p->slots);
	if (ret) {
		slo_config_free(&p->cfg);
	} else {
		*out = p->cfg;
		if (err && errlen)
			err[0] = '\0';
	}
	free(p);
	return ret;
}

int slo_config_read(const char *path, char **bufp, size_t *lenp, struct stat *stp,
		    char *err, size_t errlen)
{
	int fd, ret;

	/*
	 * open() follows the ConfigMap's symlinks.  O_NONBLOCK: a FIFO put in
	 * the file's place must not hang the loader in open(); fstat() then
	 * refuses it.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		ret = -errno;
		file_err(err, errlen, path, 0, "cannot open: %s", strerror(-ret));
		return ret;
	}
	return slo_config_read_fd(fd, path, bufp, lenp, stp, err, errlen);
}

int slo_config_read_fd(int fd, const char *path, char **bufp, size_t *lenp,
		       struct stat *stp, char *err, size_t errlen)
{
	size_t got = 0;
	struct stat st;
	char *buf;
	int ret;

	if (fstat(fd, &st)) {
		ret = -errno;
		close(fd);
		file_err(err, errlen, path, 0, "cannot stat: %s", strerror(-ret));
		return ret;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		file_err(err, errlen, path, 0, "not a regular file");
		return -EINVAL;
	}
	if (st.st_size > SLO_CONFIG_MAX_BYTES) {
		close(fd);
		file_err(err, errlen, path, 0, "file is larger than 1 MiB (%lld bytes)",
			 (long long)st.st_size);
		return -EFBIG;
	}
	/* One byte more than allowed: a file that grew since fstat() is caught */
	buf = malloc(SLO_CONFIG_MAX_BYTES + 1);
	if (!buf) {
		close(fd);
		file_err(err, errlen, path, 0, "out of memory");
		return -ENOMEM;
	}
	while (got < SLO_CONFIG_MAX_BYTES + 1) {
		ssize_t n = read(fd, buf + got, SLO_CONFIG_MAX_BYTES + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			free(buf);
			close(fd);
			file_err(err, errlen, path, 0, "cannot read: %s", strerror(-ret));
			return ret;
		}
		if (!n)
			break;
		got += (size_t)n;
	}
	close(fd);
	*bufp = buf;
	*lenp = got;
	if (stp)
		*stp = st;
	return 0;
}

int slo_config_load(const char *path, struct slo_config *out, char *err,
		    size_t errlen)
{
	size_t len;
	char *buf;
	int ret;

	if (slo_config_read(path, &buf, &len, NULL, err, errlen))
		return -1;
	ret = slo_config_parse(buf, len, path, out, err, errlen);
	free(buf);
	return ret;
}

bool slo_config_equal(const struct slo_config *a, const struct slo_config *b)
{
	size_t i;

	if (a->default_budget_ns != b->default_budget_ns ||
	    a->nr_entries != b->nr_entries)
		return false;
	for (i = 0; i < a->nr_entries; i++) {
		if (strcmp(a->entries[i].path, b->entries[i].path) ||
		    a->entries[i].budget_ns != b->entries[i].budget_ns ||
		    a->entries[i].source != b->entries[i].source)
			return false;
	}
	return true;
}
