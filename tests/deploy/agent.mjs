// The node agent's privileges and plumbing, in a rendered set of manifests.
//   node agent.mjs NPM_DIR FILE[:OPTION...]...
// OPTION: "off" (the render has no agent: agent.enabled=false) or
// "ports=P,Q" (the API server ports its egress allows; default 443,6443).
// With an agent, checks that:
// - its ClusterRole allows exactly get/list/watch on pods, get/list/watch on
//   namespaces (only with --namespace-defaults) and create/patch on events,
//   in the core group: one more verb, resource or group fails; no Role or
//   RoleBinding; the binding names the pod's service account, and only it;
// - no token reaches a container but the agent: the pod and the account do
//   not automount one, and only the agent mounts a volume with a service
//   account token (or any secret);
// - the agent runs non-root, read-only root, no privilege escalation, every
//   capability dropped and none added, with requests and limits, NODE_NAME
//   from spec.nodeName, liveness on GET /healthz of its metrics port, and
//   only /sys/fs/cgroup (read-only) from the host;
// - the SLO directory is an emptyDir at /run/scx-slo/slos, read-write for
//   the agent, read-only for the scheduler, whose --slo-dir names it;
// - the NetworkPolicy lets Prometheus reach the agent's port and allows
//   egress only to the API server ports (TCP), nothing else (no DNS).
// Without one: no agent container, no RBAC, no token, no --slo-dir, no
// egress at all.
//   node agent.mjs NPM_DIR --demo DEMO.yaml CONFIG.yaml...
// checks that the demo frontend's budget comes from its annotation alone:
// the budget a Guaranteed pod inherits from each ConfigMap differs from it.
// Prints "ok ..." / "FAIL ..." lines; exit 1 on any failure.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [npmDir, ...rest] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(npmDir), "package.json"));
const YAML = require("yaml");
const load = (f) => YAML.parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()).filter(Boolean);
let bad = 0;
const check = (what, cond, detail = "") => {
	console.log(`${cond ? "ok  " : "FAIL"} ${what}${!cond && detail ? ": " + detail : ""}`);
	if (!cond) bad++;
};
const json = JSON.stringify;
const SLO_DIR = "/run/scx-slo/slos";
const ANNOTATION = "scx-slo.io/latency-budget";

function parts(docs) {
	const ds = docs.find((d) => d.kind === "DaemonSet");
	const spec = ds.spec.template.spec;
	const vols = Object.fromEntries((spec.volumes || []).map((v) => [v.name, v]));
	const all = [...(spec.initContainers || []), ...spec.containers];
	return {
		ds, spec, vols, all,
		sched: spec.containers.find((c) => c.name === "scx-slo"),
		agent: spec.containers.find((c) => c.name === "agent"),
		roles: docs.filter((d) => d.kind === "ClusterRole"),
		bindings: docs.filter((d) => d.kind === "ClusterRoleBinding"),
		nsRbac: docs.filter((d) => d.kind === "Role" || d.kind === "RoleBinding"),
		sa: docs.find((d) => d.kind === "ServiceAccount"),
		np: docs.find((d) => d.kind === "NetworkPolicy"),
	};
}

// A volume that carries an API credential: a projected service account
// token, or any secret (a legacy token secret).
const isTokenVolume = (v) => !!v && (!!v.secret ||
	(v.projected && (v.projected.sources || []).some((s) => s.serviceAccountToken || s.secret)));
const tokenMounts = (c, vols) => (c.volumeMounts || []).filter((m) => isTokenVolume(vols[m.name]) ||
	m.mountPath.startsWith("/var/run/secrets") || m.mountPath.startsWith("/run/secrets"));
const hasFlag = (c, flag) => [...(c.command || []), ...(c.args || [])].includes(flag);
const argAfter = (c, flag) => {
	const a = [...(c.command || []), ...(c.args || [])];
	const i = a.findIndex((x) => x === flag || x.startsWith(flag + "="));
	if (i < 0) return undefined;
	return a[i].includes("=") ? a[i].slice(flag.length + 1) : a[i + 1];
};

function withAgent(name, docs, wantPorts) {
	const p = parts(docs);
	const { spec, vols, sched, agent } = p;
	check(`${name}: an agent container next to the scheduler`, !!agent && !!sched);
	if (!agent || !sched) return;

	// RBAC: the exact rules, normalized (order of rules and verbs ignored).
	const nsDefaults = hasFlag(agent, "--namespace-defaults");
	const want = [["", "events", "create,patch"], ["", "pods", "get,list,watch"]];
	if (nsDefaults) want.push(["", "namespaces", "get,list,watch"]);
	const norm = (rules) => rules.flatMap((r) => {
		const extra = Object.keys(r).filter((k) => !["apiGroups", "resources", "verbs"].includes(k));
		return (r.apiGroups || ["<none>"]).flatMap((g) => (r.resources || ["<none>"]).map((res) =>
			[g, res, [...(r.verbs || [])].sort().join(",") + (extra.length ? ` +${extra.join("+")}` : "")]));
	}).sort((a, b) => json(a) < json(b) ? -1 : 1);
	const role = p.roles.length === 1 ? p.roles[0] : null;
	check(`${name}: exactly one ClusterRole`, !!role, p.roles.map((r) => r.metadata.name).join(", "));
	if (role) {
		const got = json(norm(role.rules || [])), exp = json(want.sort((a, b) => json(a) < json(b) ? -1 : 1));
		check(`${name}: ClusterRole ${role.metadata.name} is exactly ${exp}`, got === exp, `it is ${got}`);
	}
	check(`${name}: no namespaced Role or RoleBinding`, p.nsRbac.length === 0,
		p.nsRbac.map((d) => `${d.kind}/${d.metadata.name}`).join(", "));
	const b = p.bindings.length === 1 ? p.bindings[0] : null;
	check(`${name}: exactly one ClusterRoleBinding`, !!b, p.bindings.map((r) => r.metadata.name).join(", "));
	if (b && role) {
		const subj = json(b.subjects);
		const wantSubj = json([{ kind: "ServiceAccount", name: spec.serviceAccountName,
			namespace: p.ds.metadata.namespace }]);
		check(`${name}: the binding gives ${role.metadata.name} to the pod's service account alone`,
			b.roleRef.kind === "ClusterRole" && b.roleRef.name === role.metadata.name && subj === wantSubj,
			`roleRef ${json(b.roleRef)}, subjects ${subj}, want ${wantSubj}`);
	}

	// Tokens: nowhere but in the agent.
	check(`${name}: the pod automounts no token`, spec.automountServiceAccountToken === false);
	check(`${name}: the service account automounts no token`,
		!p.sa || p.sa.automountServiceAccountToken === false);
	const leaks = p.all.filter((c) => c !== agent && tokenMounts(c, vols).length)
		.map((c) => `${c.name}: ${tokenMounts(c, vols).map((m) => m.mountPath).join(", ")}`);
	check(`${name}: no token mounted in the scheduler or the init container`, leaks.length === 0, leaks.join("; "));
	const agentToken = tokenMounts(agent, vols);
	check(`${name}: the agent mounts its token read-only at the in-cluster path`,
		agentToken.length === 1 && agentToken[0].readOnly === true &&
		agentToken[0].mountPath === "/var/run/secrets/kubernetes.io/serviceaccount",
		json(agentToken));

	// The agent container.
	const sc = agent.securityContext || {};
	const caps = sc.capabilities || {};
	check(`${name}: agent runs non-root, read-only root, no escalation, no privilege`,
		sc.runAsNonRoot === true && sc.runAsUser > 0 && sc.readOnlyRootFilesystem === true &&
		sc.allowPrivilegeEscalation === false && !sc.privileged, json(sc));
	check(`${name}: agent drops every capability and adds none`,
		json(caps.drop) === json(["ALL"]) && (caps.add || []).length === 0, json(caps));
	check(`${name}: agent runs scx_slo_agent`, /(^|\/)scx_slo_agent$/.test((agent.command || [])[0] || ""),
		json(agent.command));
	const env = (agent.env || []).find((e) => e.name === "NODE_NAME");
	check(`${name}: agent's NODE_NAME is the downward API's spec.nodeName`,
		!!env && env.valueFrom && env.valueFrom.fieldRef && env.valueFrom.fieldRef.fieldPath === "spec.nodeName");
	const r = agent.resources || {};
	check(`${name}: agent has cpu and memory requests and limits`,
		["requests", "limits"].every((k) => r[k] && r[k].cpu && r[k].memory), json(r));
	const port = (agent.ports || []).find((x) => x.name === "agent-metrics");
	const lp = agent.livenessProbe && agent.livenessProbe.httpGet;
	check(`${name}: agent's liveness is GET /healthz on its metrics port, which it listens on`,
		!!port && !!lp && lp.path === "/healthz" && (lp.port === "agent-metrics" || lp.port === port.containerPort) &&
		argAfter(agent, "--metrics") === `0.0.0.0:${port.containerPort}`,
		`port ${json(port)}, probe ${json(lp)}, --metrics ${argAfter(agent, "--metrics")}`);
	const hostPaths = (agent.volumeMounts || []).filter((m) => vols[m.name] && vols[m.name].hostPath)
		.map((m) => [vols[m.name].hostPath.path, m.mountPath, !!m.readOnly]);
	check(`${name}: agent's only host path is /sys/fs/cgroup, read-only`,
		json(hostPaths) === json([["/sys/fs/cgroup", "/sys/fs/cgroup", true]]), json(hostPaths));

	// The SLO directory between them.
	const mountOf = (c) => (c.volumeMounts || []).find((m) => m.mountPath === SLO_DIR);
	const am = mountOf(agent), sm = mountOf(sched);
	check(`${name}: ${SLO_DIR} is one emptyDir, read-write in the agent, read-only in the scheduler`,
		!!am && !!sm && am.name === sm.name && !!vols[am.name] && !!vols[am.name].emptyDir &&
		!am.readOnly && sm.readOnly === true, `agent ${json(am)}, scheduler ${json(sm)}`);
	check(`${name}: the scheduler reads --slo-dir ${SLO_DIR}`, argAfter(sched, "--slo-dir") === SLO_DIR,
		json(sched.args));
	const out = argAfter(agent, "--output");
	check(`${name}: the agent writes into ${SLO_DIR}`, out === undefined || path.dirname(out) === SLO_DIR, out);

	// Network: Prometheus may reach the agent; egress only to the API server.
	if (p.np) {
		const inPorts = (p.np.spec.ingress || []).flatMap((r) => (r.ports || []).map((x) => x.port));
		check(`${name}: NetworkPolicy admits the agent's metrics port`,
			inPorts.includes("agent-metrics") || inPorts.includes(port && port.containerPort), json(inPorts));
		const eg = p.np.spec.egress || [];
		const egPorts = eg.flatMap((r) => (r.ports || []).map((x) => [x.protocol || "TCP", x.port]));
		const open = eg.filter((r) => !r.ports || r.ports.length === 0 || r.ports.some((x) => x.endPort));
		check(`${name}: NetworkPolicy egress is TCP ${wantPorts.join(", ")} only`,
			open.length === 0 && json(egPorts.map(json).sort()) === json(wantPorts.map((x) => json(["TCP", x])).sort()) &&
			(p.np.spec.policyTypes || []).includes("Egress"), json(eg));
	}
}

function withoutAgent(name, docs) {
	const p = parts(docs);
	check(`${name} (agent off): no agent container`, !p.agent);
	check(`${name} (agent off): no ClusterRole, ClusterRoleBinding, Role or RoleBinding`,
		p.roles.length + p.bindings.length + p.nsRbac.length === 0);
	const leaks = p.all.filter((c) => tokenMounts(c, p.vols).length).map((c) => c.name);
	check(`${name} (agent off): no token in any container, none automounted`,
		leaks.length === 0 && p.spec.automountServiceAccountToken === false, leaks.join(", "));
	check(`${name} (agent off): the scheduler has no --slo-dir`, argAfter(p.sched, "--slo-dir") === undefined);
	if (p.np) check(`${name} (agent off): NetworkPolicy allows no egress`,
		(p.np.spec.policyTypes || []).includes("Egress") && json(p.np.spec.egress || []) === "[]",
		json(p.np.spec.egress));
}

// The budget a Guaranteed pod (directly under kubepods) inherits from a
// ConfigMap's slo.yaml: its nearest ancestor's entry, else default_budget.
function demo(demoFile, configFiles) {
	const fe = load(demoFile).find((d) => d.kind === "Deployment" && d.metadata.name === "frontend");
	const ann = fe && (fe.spec.template.metadata.annotations || {})[ANNOTATION];
	check(`demo frontend's pods carry ${ANNOTATION}`, !!ann, json(fe && fe.spec.template.metadata));
	for (const f of configFiles) {
		const cm = load(f).find((d) => d.kind === "ConfigMap" && d.data && d.data["slo.yaml"]);
		const slo = YAML.parse(cm.data["slo.yaml"]);
		const has = (cg) => (slo.slos || []).find((e) => e.cgroup === cg);
		for (const driver of ["/kubepods.slice", "/kubepods"]) {
			const e = has(driver);
			const inherited = e ? e.budget : slo.default_budget;
			check(`${path.basename(f)}: a Guaranteed pod under ${driver} inherits ${inherited}, not the frontend's ${ann}`,
				nanoseconds(inherited) !== nanoseconds(ann));
		}
	}
}

function nanoseconds(d) {
	const m = /^([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s)$/.exec(String(d));
	return m ? Math.round(Number(m[1]) * { ns: 1, us: 1e3, ms: 1e6, s: 1e9 }[m[2]]) : NaN;
}

if (rest[0] === "--demo") {
	demo(rest[1], rest.slice(2));
	process.exit(bad ? 1 : 0);
}
for (const arg of rest) {
	const [file, ...opts] = arg.split(":");
	const off = opts.includes("off");
	const ports = (opts.find((o) => o.startsWith("ports=")) || "ports=443,6443").slice(6)
		.split(",").map(Number).sort((a, b) => a - b);
	const docs = load(file);
	const name = path.basename(file);
	if (off) withoutAgent(name, docs);
	else withAgent(name, docs, ports);
}
process.exit(bad ? 1 : 0);
