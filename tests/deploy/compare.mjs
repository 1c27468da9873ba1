// Consistency checks between the kustomize base and the Helm chart renders.
//   node compare.mjs NPM_DIR KUSTOMIZE_BASE.yaml HELM_DEFAULT.yaml OUTDIR
// - the init container's kernel check is the same script in both;
// - the default SLO set of the chart equals the base's slo.yaml (as data);
// - both DaemonSets grant the same capabilities and mount the same paths;
// - liveness and startup probes exec `scx_slo health` in both;
// - the agent container, its volumes and its ClusterRole are the same.
// Writes each rendered slo.yaml to OUTDIR/{kustomize,helm}-slo.yaml for
// `scx_slo --check-config`.  Prints "ok ..." / "FAIL ..." lines.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [npmDir, kFile, hFile, outDir] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(npmDir), "package.json"));
const YAML = require("yaml");
const load = (f) => YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
const k = load(kFile), h = load(hFile);
const find = (docs, kind) => docs.find((d) => d.kind === kind);
let bad = 0;
const check = (what, cond, detail = "") => {
	console.log(`${cond ? "ok  " : "FAIL"} ${what}${!cond && detail ? ": " + detail : ""}`);
	if (!cond) bad++;
};

const kds = find(k, "DaemonSet"), hds = find(h, "DaemonSet");
const script = (ds) => {
	const c = (ds.spec.template.spec.initContainers || []).find((c) => c.name === "check-kernel");
	const s = c && c.command[2];
	return s && s.slice(s.indexOf("# BEGIN check-kernel"), s.indexOf("# END check-kernel"));
};
check("kernel check: the same script in kustomize and helm", script(kds) && script(kds) === script(hds));

const kcm = find(k, "ConfigMap"), hcm = find(h, "ConfigMap");
const kslo = YAML.parse(kcm.data["slo.yaml"]), hslo = YAML.parse(hcm.data["slo.yaml"]);
check("default SLOs: helm values == kustomize slo.yaml", JSON.stringify(kslo) === JSON.stringify(hslo),
	`${JSON.stringify(kslo)} vs ${JSON.stringify(hslo)}`);
fs.writeFileSync(path.join(outDir, "kustomize-slo.yaml"), kcm.data["slo.yaml"]);
fs.writeFileSync(path.join(outDir, "helm-slo.yaml"), hcm.data["slo.yaml"]);

const main = (ds) => ds.spec.template.spec.containers.find((c) => c.name === "scx-slo");
const caps = (ds) => {
	const c = main(ds).securityContext.capabilities;
	return JSON.stringify({ add: [...(c.add || [])].sort(), drop: [...(c.drop || [])].sort() });
};
check("capabilities: the same in both", caps(kds) === caps(hds), `${caps(kds)} vs ${caps(hds)}`);
const mounts = (ds) => JSON.stringify(main(ds).volumeMounts.map((m) => [m.mountPath, !!m.readOnly,
	m.recursiveReadOnly || "Disabled"]));
check("mounts: the same in both", mounts(kds) === mounts(hds), `${mounts(kds)} vs ${mounts(hds)}`);
// Least privilege (issue 15): host paths are bpffs (read-write, for the
// pins) and the cgroup2 tree (read-only), nothing else from the host (the
// container's own sysfs has sched_ext and BTF); no host namespaces.
const hostPaths = (ds) => {
	const vols = Object.fromEntries(ds.spec.template.spec.volumes.map((v) => [v.name, v]));
	return JSON.stringify(main(ds).volumeMounts.filter((m) => vols[m.name].hostPath)
		.map((m) => [vols[m.name].hostPath.path, m.mountPath, !!m.readOnly]).sort());
};
const wantHost = JSON.stringify([["/sys/fs/bpf", "/sys/fs/bpf", false],
	["/sys/fs/cgroup", "/sys/fs/cgroup", true]]);
check("host paths: only /sys/fs/bpf (rw) and /sys/fs/cgroup (ro), in both",
	hostPaths(kds) === wantHost && hostPaths(hds) === wantHost, `${hostPaths(kds)} vs ${hostPaths(hds)}`);
const hostNs = (ds) => {
	const s = ds.spec.template.spec;
	return JSON.stringify([!!s.hostPID, !!s.hostNetwork, !!s.hostIPC]);
};
check("no host PID, network or IPC namespace, in both",
	hostNs(kds) === "[false,false,false]" && hostNs(hds) === "[false,false,false]");
const term = (ds) => JSON.stringify([main(ds).terminationMessagePath, main(ds).terminationMessagePolicy]);
check("termination message: /dev/termination-log, FallbackToLogsOnError, in both",
	term(kds) === term(hds) && term(kds) === JSON.stringify(["/dev/termination-log", "FallbackToLogsOnError"]));
const knp = find(k, "NetworkPolicy"), hnp = find(h, "NetworkPolicy");
const np = (p) => p && JSON.stringify({ types: p.spec.policyTypes, ingress: p.spec.ingress, egress: p.spec.egress });
// Egress (the agent's, to the API server) is checked by agent.mjs.
check("NetworkPolicy: the same in both (metrics ports from monitoring only)",
	knp && np(knp) === np(hnp) && knp.spec.ingress.length === 1 &&
	JSON.stringify(knp.spec.ingress[0].ports) === JSON.stringify([{ port: "metrics", protocol: "TCP" },
		{ port: "agent-metrics", protocol: "TCP" }]), `${np(knp)} vs ${np(hnp)}`);
// The agent container, as a whole but its image (a kustomize name there);
// keys sorted, as kustomize and Helm need not write them in one order.
const canon = (v) => Array.isArray(v) ? v.map(canon) : v && typeof v === "object" ?
	Object.fromEntries(Object.keys(v).sort().map((key) => [key, canon(v[key])])) : v;
const agent = (ds) => {
	const c = ds.spec.template.spec.containers.find((x) => x.name === "agent");
	if (!c) return "none";
	const { image, ...rest } = c;
	rest.volumeMounts = rest.volumeMounts.map((m) => ({ ...m, recursiveReadOnly: m.recursiveReadOnly || "Disabled" }));
	return JSON.stringify(canon(rest));
};
check("agent container: the same in both", agent(kds) !== "none" && agent(kds) === agent(hds),
	`${agent(kds)} vs ${agent(hds)}`);
const agentVols = (ds) => {
	const s = ds.spec.template.spec;
	const c = s.containers.find((x) => x.name === "agent");
	return JSON.stringify(canon(c ? c.volumeMounts.map((m) => s.volumes.find((v) => v.name === m.name)) : []));
};
check("agent volumes: the same in both", agentVols(kds) === agentVols(hds), `${agentVols(kds)} vs ${agentVols(hds)}`);
const rules = (docs) => JSON.stringify(canon((find(docs, "ClusterRole") || {}).rules));
check("agent ClusterRole: the same rules in both", rules(k) === rules(h), `${rules(k)} vs ${rules(h)}`);
// Liveness and startup must not go through the metrics port any pod can
// flood (issue 15): exec `scx_slo health`; readiness stays on /healthz.
const probes = (ds) => {
	const c = main(ds);
	const cmd = (p) => p && p.exec && !p.httpGet && !p.tcpSocket ? p.exec.command.join(" ") : null;
	return JSON.stringify({ startup: cmd(c.startupProbe), liveness: cmd(c.livenessProbe),
		readiness: c.readinessProbe && c.readinessProbe.httpGet && c.readinessProbe.httpGet.path });
};
const wantProbes = JSON.stringify({ startup: "/usr/local/sbin/scx_slo health",
	liveness: "/usr/local/sbin/scx_slo health", readiness: "/healthz" });
check("probes: liveness and startup exec `scx_slo health`, readiness GET /healthz, in both",
	probes(kds) === wantProbes && probes(hds) === wantProbes, `${probes(kds)} vs ${probes(hds)}`);
const cfgArg = (ds) => main(ds).args.join(" ");
check("scx_slo reads /etc/scx-slo/slo.yaml in both",
	[kds, hds].every((ds) => / --config \/etc\/scx-slo\/slo\.yaml/.test(" " + cfgArg(ds))));
process.exit(bad ? 1 : 0);
