// Checks of the monitoring objects in rendered manifests (manifests-test.sh).
//   node compare-monitoring.mjs NPM_DIR RULES.yaml DASHBOARD.json FILE[=TARGET]...
// For each rendered FILE:
// - each pod is scraped one way: a DaemonSet whose pods carry
//   prometheus.io/scrape, or a PodMonitor selecting them, never both, and no
//   Service with prometheus.io/* annotations (a second, endpoint-based scrape);
// - a PrometheusRule's groups are exactly RULES.yaml's, but for the expr of
//   the rule recording scx_slo:cgroup_miss_ratio:target, which must be
//   vector(TARGET) (default 0.01);
// - a ConfigMap labelled grafana_dashboard holds DASHBOARD.json, unchanged.
// Prints "ok ..." / "FAIL ..." lines; exit 1 on any failure.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { isDeepStrictEqual } from "node:util";

const [npmDir, rulesFile, dashFile, ...renders] = process.argv.slice(2);
if (!npmDir || !dashFile || renders.length === 0) {
	console.error("usage: node compare-monitoring.mjs NPM_DIR RULES.yaml DASHBOARD.json FILE[=TARGET]...");
	process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), "package.json"));
const YAML = require("yaml");
const TARGET_RULE = "scx_slo:cgroup_miss_ratio:target";

let bad = 0;
const check = (what, cond, detail = "") => {
	console.log(`${cond ? "ok  " : "FAIL"} ${what}${!cond && detail ? ": " + detail : ""}`);
	if (!cond) bad++;
};
const load = (f) => YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
const source = YAML.parse(fs.readFileSync(rulesFile, "utf8")).groups;
const dashboard = fs.readFileSync(dashFile, "utf8");
const isScrapeKey = (k) => k.startsWith("prometheus.io/");

// The groups with the target rule's expr taken out, and that expr.
function splitTarget(groups) {
	const copy = structuredClone(groups);
	let expr = null;
	for (const g of copy)
		for (const r of g.rules)
			if (r.record === TARGET_RULE) {
				expr = r.expr;
				delete r.expr;
			}
	return { copy, expr };
}
const src = splitTarget(source);
check(`${path.basename(rulesFile)}: records ${TARGET_RULE} as vector(0.01)`, src.expr === "vector(0.01)",
	`${src.expr}`);

for (const arg of renders) {
	const [file, target = "0.01"] = arg.split("=");
	const name = path.basename(file);
	const docs = load(file);
	const of = (kind) => docs.filter((d) => d.kind === kind);

	const annotated = of("DaemonSet").filter((ds) => {
		const a = (ds.spec.template.metadata || {}).annotations || {};
		return a["prometheus.io/scrape"] === "true";
	}).length;
	const monitors = of("PodMonitor").length;
	const ds = of("DaemonSet").length;
	check(`${name}: one way of scraping (${annotated} annotated DaemonSet, ${monitors} PodMonitor)`,
		ds === 0 || annotated + monitors === 1,
		"want exactly one of the two");
	const annotatedServices = of("Service").filter((s) =>
		Object.keys((s.metadata && s.metadata.annotations) || {}).some(isScrapeKey)).map((s) => s.metadata.name);
	check(`${name}: no Service with prometheus.io/* annotations`, annotatedServices.length === 0,
		annotatedServices.join(", "));
	for (const pm of of("PodMonitor")) {
		const sel = pm.spec.selector.matchLabels || {};
		const selected = of("DaemonSet").filter((d) =>
			Object.entries(sel).every(([k, v]) => (d.spec.template.metadata.labels || {})[k] === v));
		const port = pm.spec.podMetricsEndpoints[0].port;
		const hasPort = selected.some((d) => d.spec.template.spec.containers.some((c) =>
			(c.ports || []).some((p) => p.name === port)));
		check(`${name}: PodMonitor/${pm.metadata.name} selects the DaemonSet's pods and their port '${port}'`,
			selected.length === 1 && hasPort && pm.spec.jobLabel === "app.kubernetes.io/name" &&
			selected[0].spec.template.metadata.labels["app.kubernetes.io/name"] === "scx-slo",
			`${selected.length} DaemonSet(s) selected, port found: ${hasPort}, jobLabel ${pm.spec.jobLabel}`);
	}

	for (const pr of of("PrometheusRule")) {
		const got = splitTarget(pr.spec.groups);
		check(`${name}: PrometheusRule/${pr.metadata.name} has the rules of ${path.basename(rulesFile)}`,
			isDeepStrictEqual(got.copy, src.copy), "they differ: run deploy/kustomize/components/monitoring/sync.sh, or fix the chart's template");
		check(`${name}: miss-ratio target ${got.expr}`, got.expr === `vector(${target})`, `want vector(${target})`);
	}
	for (const cm of of("ConfigMap").filter((c) => ((c.metadata.labels || {}).grafana_dashboard) === "1")) {
		const data = cm.data || {};
		check(`${name}: ConfigMap/${cm.metadata.name} holds ${path.basename(dashFile)} as scx-slo.json`,
			Object.keys(data).length === 1 && data["scx-slo.json"] !== undefined &&
			data["scx-slo.json"].trimEnd() === dashboard.trimEnd(), `keys ${Object.keys(data).join(", ")}`);
	}
}
process.exit(bad ? 1 : 0);
