// SPDX-License-Identifier: GPL-2.0
/*
 * CPU masks of any width.  cpu_set_t stops at 1024 CPUs and hwloc bitmaps
 * would leak hwloc into every user of the model, so the model keeps its own.
 */
#include <stdlib.h>
#include <stdio.h>

#include "topology.h"

struct slo_cpumask *slo_cpumask_alloc(int nr_bits)
{
	struct slo_cpumask *mask;

	if (nr_bits < 0)
		return NULL;
	mask = calloc(1, sizeof(*mask) +
			 slo_cpumask_nr_words(nr_bits) * sizeof(mask->words[0]));
	if (mask)
		mask->nr_bits = nr_bits;
	return mask;
}

void slo_cpumask_set(struct slo_cpumask *mask, int cpu)
{
	if (cpu >= 0 && cpu < mask->nr_bits)
		mask->words[cpu / 64] |= 1ULL << (cpu % 64);
}

int slo_cpumask_weight(const struct slo_cpumask *mask)
{
	int i, weight = 0;

	for (i = 0; i < slo_cpumask_nr_words(mask->nr_bits); i++)
		weight += __builtin_popcountll(mask->words[i]);
	return weight;
}

int slo_cpumask_next(const struct slo_cpumask *mask, int prev)
{
	int cpu = prev + 1;
	int word = cpu / 64;
	uint64_t bits;

	if (cpu < 0 || cpu >= mask->nr_bits)
		return -1;

	/* Skip whole empty words: a 4096-CPU mask is mostly zeroes. */
	bits = mask->words[word] & (~0ULL << (cpu % 64));
	while (!bits) {
		if (++word >= slo_cpumask_nr_words(mask->nr_bits))
			return -1;
		bits = mask->words[word];
	}
	cpu = word * 64 + __builtin_ctzll(bits);
	return cpu < mask->nr_bits ? cpu : -1;
}

int slo_cpumask_format(const struct slo_cpumask *mask, char *buf, size_t len)
{
	size_t used = 0;
	int first, last, n;
	const char *sep = "";

	if (len)
		buf[0] = '\0';

	for (first = slo_cpumask_next(mask, -1); first >= 0;
	     first = slo_cpumask_next(mask, last)) {
		last = first;
		while (slo_cpumask_test(mask, last + 1))
			last++;

		if (first == last)
			n = snprintf(used < len ? buf + used : NULL,
				     used < len ? len - used : 0, "%s%d", sep, first);
		else
			n = snprintf(used < len ? buf + used : NULL,
				     used < len ? len - used : 0, "%s%d-%d",
				     sep, first, last);
		if (n < 0)
			return n;
		used += n;
		sep = ",";
	}
	return used;
}
