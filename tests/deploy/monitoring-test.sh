#!/usr/bin/env bash
# The monitoring files (ctest label "deploy"), offline, in seconds:
#   - `promtool check rules` and `promtool test rules` over the alert rules
#     (deploy/helm/scx-slo/files/prometheus-rules.yaml) and their unit tests
#     (tests/deploy/prometheus-rules-test.yaml), and the unit tests failing
#     against rules with a changed threshold (they can fail);
#   - the kustomize component's copies are what its sync.sh makes of them;
#   - every scx_slo metric the rules' and the dashboard's queries name is one
#     the loader exports: the families slo_metrics_render() writes (through
#     metric_families, a program built from loader/metrics.c), the family()
#     calls and # TYPE lines of loader/*.c (families written only for some
#     snapshots, the HTTP server's own samples), histogram
#     _bucket/_sum/_count included, or a series the rules record; names the
#     loader does not export yet are listed in PENDING below;
#   - the statistics-map limit in the near-full alert is SLO_MAX_CGROUP_STATS.
#   monitoring-test.sh PATH/TO/metric_families
set -uo pipefail
source "$(dirname "$0")/lib.sh"
families_bin=${1:?usage: monitoring-test.sh PATH/TO/metric_families}

# What the loader is to export and does not yet.  Each name here
# is checked to be absent from the loader; once it is exported, this test
# fails until the name is taken off the list (so that a later rename of it
# is caught like any other).
PENDING=()
# Series of other exporters the rules join with.
EXTERNAL=(up kube_node_labels)

need_pkgs prometheus python3-yaml
OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT
RULES=$TOP/deploy/helm/scx-slo/files/prometheus-rules.yaml
DASHBOARD=$TOP/deploy/helm/scx-slo/files/grafana-dashboard.json
RULE_TESTS=$DEPLOY_TESTS/prometheus-rules-test.yaml

if out=$(promtool check rules "$RULES" 2>&1); then ok "promtool check rules: $(grep -o '[0-9]* rules found' <<<"$out")"
else fail "promtool check rules:"; echo "$out"; fi
if out=$(promtool test rules "$RULE_TESTS" 2>&1); then
	ok "promtool test rules: $(grep -c 'alertname:' "$RULE_TESTS") alert evaluations"
else fail "promtool test rules:"; echo "$out"; fi

# Every alert of the rules has a case where it fires and one where it does not.
if out=$(python3 - "$RULES" "$RULE_TESTS" <<'EOF'
import sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
tests = yaml.safe_load(open(sys.argv[2]))
alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
fires, quiet = set(), set()
for t in tests["tests"]:
    for a in t.get("alert_rule_test", []):
        (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
missing = [f"{a} ({'no firing case' if a not in fires else ''}{', ' if a not in fires and a not in quiet else ''}{'no quiet case' if a not in quiet else ''})"
           for a in alerts if a not in fires or a not in quiet]
if missing:
    print("untested: " + "; ".join(missing)); sys.exit(1)
print(f"{len(alerts)} alerts, each with a firing and a quiet case")
EOF
); then ok "$out"; else fail "$out"; fi

# The tests must be able to fail: a miss-ratio target of 5% instead of 1%
# and a Down alert that waits 10 minutes instead of 3 must each break them.
mutant() { # NAME SED-EXPR
	mkdir -p "$OUT/$1"
	sed "$2" "$RULES" > "$OUT/$1/rules.yaml"
	sed "s|^  - .*prometheus-rules.yaml$|  - rules.yaml|" "$RULE_TESTS" > "$OUT/$1/test.yaml"
	if cmp -s "$RULES" "$OUT/$1/rules.yaml"; then fail "mutant $1: '$2' changed nothing"
	elif promtool test rules "$OUT/$1/test.yaml" >/dev/null 2>&1; then fail "mutant $1: the rule tests pass"
	else ok "mutant $1: the rule tests fail"; fi
}
mutant target-5pct 's/vector(0\.01)/vector(0.05)/'
mutant down-10m '/alert: ScxSloDown/,/for:/s/for: 3m/for: 10m/'

if out=$("$TOP/deploy/kustomize/components/monitoring/sync.sh" --check 2>&1); then
	ok "kustomize component's prometheusrule.yaml and grafana-dashboard.json match the chart's files"
else fail "$out"; fi

# The names the loader exports.
if ! "$families_bin" > "$OUT/families" 2> "$OUT/err"; then
	fail "$families_bin: $(cat "$OUT/err")"; finish; exit 1
fi
# Families the renderer writes only when the snapshot has them (a pointer
# the empty snapshot leaves NULL), and the HTTP server's own samples: from
# the source, family(b, "NAME", "TYPE", ...) calls and "# TYPE NAME TYPE" text.
grep -ho 'family(b, "scx_slo_[a-z0-9_]*", "[a-z]*"' "$TOP"/loader/*.c |
	sed 's/^family(b, "\([^"]*\)", "\([^"]*\)"$/\1 \2/' >> "$OUT/families"
grep -ho '# TYPE scx_slo_[a-z0-9_]* [a-z]*' "$TOP"/loader/*.c | cut -d' ' -f3- >> "$OUT/families"
n=$(sort -u "$OUT/families" | wc -l)
[ "$n" -ge 40 ] && ok "loader exports $n metric families" || fail "loader exports only $n metric families: $(cat "$OUT/families")"

if out=$(python3 - "$RULES" "$DASHBOARD" "$OUT/families" "${PENDING[*]}" "${EXTERNAL[*]}" <<'EOF'
import json, re, sys, yaml
rules_file, dash_file, fam_file, pending, external = sys.argv[1:6]
pending, external = set(pending.split()), set(external.split())
exported = set()
for line in open(fam_file):
    name, typ = line.split()
    exported.add(name)
    if typ == "histogram":
        exported |= {name + "_bucket", name + "_sum", name + "_count"}
rules = yaml.safe_load(open(rules_file))
recorded = {r["record"] for g in rules["groups"] for r in g["rules"] if "record" in r}

# (where, expression) of every query
queries = []
for g in rules["groups"]:
    for r in g["rules"]:
        queries.append((f"rule {r.get('alert') or r.get('record')}", r["expr"]))
dash = json.load(open(dash_file))
def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))
for p in panels(dash["panels"]):
    for t in p.get("targets", []):
        queries.append((f"dashboard panel '{p['title']}'", t["expr"]))
for v in dash["templating"]["list"]:
    if v.get("type") == "query":
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        queries.append((f"dashboard variable ${v['name']}", q))

errors, used = [], set()
for where, q in queries:
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', q)          # no label values
    bare = re.sub(r"\{[^}]*\}", "{}", bare)                  # no label names
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    bare = re.sub(r"\blabel_values\((.*),\s*\w+\)", r"\1", bare)  # Grafana's
    # identifiers that are not functions ($__rate_interval and 5m are not identifiers)
    names = set(re.findall(r"(?<![\w:$.])([a-zA-Z_:][\w:]*)(?![\w:])(?!\s*\()", bare))
    names -= {"by", "without", "on", "ignoring", "and", "or", "unless", "bool", "offset", "inf", "nan"}
    for n in sorted(names):
        used.add(n)
        if n in exported or n in recorded or n in external:
            continue
        if n in pending:
            continue
        errors.append(f"{where}: '{n}' is not a metric the loader exports")
for n in sorted(pending & exported):
    errors.append(f"'{n}' is exported now: take it off PENDING in tests/deploy/monitoring-test.sh")
for n in sorted(pending - used):
    errors.append(f"'{n}' is in PENDING but no query uses it")
if errors:
    print("\n".join(errors)); sys.exit(1)
print(f"{len(queries)} queries name {len(used)} metrics: "
      f"{len(used & exported)} exported, {len(used & recorded)} recorded by the rules, "
      f"{len(used & pending)} pending ({', '.join(sorted(used & pending))}), "
      f"{len(used & external)} from other exporters ({', '.join(sorted(used & external))})")
EOF
); then ok "$out"; else fail "metric names:"; echo "$out"; fi

# The near-full alert's limit is the BPF map's size.
max=$(sed -n 's/^#define SLO_MAX_CGROUP_STATS[[:space:]]*\([0-9]*\).*/\1/p' "$TOP/bpf/scx_slo.h")
if [ -n "$max" ] && grep -q "scx_slo_cgroups_tracked{job=\"scx-slo\"} > 0.9 \* $max\$" "$RULES"; then
	ok "ScxSloCgroupStatsMapNearFull: 0.9 x SLO_MAX_CGROUP_STATS ($max)"
else fail "ScxSloCgroupStatsMapNearFull: its limit is not 0.9 x SLO_MAX_CGROUP_STATS (${max:-not found})"; fi
finish
