// Offline validation of Kubernetes manifests against the schemas that npm's
// kubernetes-models 4.x ships (and @kubernetes-models/prometheus-operator for
// PodMonitor and PrometheusRule), strict about unknown fields.
//
//   node validate.mjs NPM_DIR FILE...      (FILE: YAML, several documents allowed)
//
// Every document is checked twice:
//  1. kubernetes-models' own validator (JSON schema of the API version: types,
//     required fields, enums, formats such as int32 and quantities);
//  2. a TypeScript type check of the document as an object literal of the
//     kind's interface (IDaemonSet, IService, ...).  That check rejects any
//     field the API does not define, at any depth, which (1) lets through:
//     a misspelled field is silently dropped by the API server, so it must
//     fail here.
// Errors name file:line, the object (kind/name) and the field path.  Exit 1
// on any error, 2 on bad usage.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [npmDir, ...files] = process.argv.slice(2);
if (!npmDir || files.length === 0) {
	console.error("usage: node validate.mjs NPM_DIR FILE...");
	process.exit(2);
}
const require = createRequire(path.join(path.resolve(npmDir), "package.json"));
const YAML = require("yaml");
const ts = require("typescript");

const errors = [];
const docs = []; // {file, index, obj, doc, lines, kind, name, module}

// Custom resources the manifests use, by API group: packages of the same
// generator as kubernetes-models, built from the projects' own CRD schemas,
// so they get the same two checks as the core kinds.
const crdPackages = {
	"monitoring.coreos.com": "@kubernetes-models/prometheus-operator", // PodMonitor, PrometheusRule
};

// "apps/v1" + "DaemonSet" -> "kubernetes-models/apps/v1/DaemonSet";
// "monitoring.coreos.com/v1" + "PodMonitor" -> "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor"
function modelModule(apiVersion, kind) {
	if (typeof apiVersion !== "string" || typeof kind !== "string") return null;
	const dir = apiVersion.includes("/") ? apiVersion : `v1`;
	if (!apiVersion.includes("/") && apiVersion !== "v1") return null;
	const pkg = crdPackages[apiVersion.split("/")[0]] || "kubernetes-models";
	const mod = `${pkg}/${dir}/${kind}`;
	try {
		require.resolve(mod);
		return mod;
	} catch {
		return null;
	}
}

function lineOf(lines, offset) {
	return lines.linePos(offset).line;
}

// The YAML line of a field path (["spec", "template", ..., 0, "name"]).
function lineOfPath(d, p) {
	for (let n = p.length; n >= 0; n--) {
		const node = d.doc.getIn(p.slice(0, n), true);
		if (node && node.range) return lineOf(d.lines, node.range[0]);
		// a key whose value is null/empty: find the pair itself
		const parent = d.doc.getIn(p.slice(0, n - 1), true);
		if (parent && parent.items && n > 0) {
			const pair = parent.items.find((it) => it.key && it.key.value === p[n - 1]);
			if (pair && pair.key.range) return lineOf(d.lines, pair.key.range[0]);
		}
	}
	return d.line;
}

function fmtPath(p) {
	return p.map((k, i) => (typeof k === "number" ? `[${k}]` : i ? `.${k}` : k)).join("") || "(document)";
}

function where(d, p) {
	return `${d.file}:${lineOfPath(d, p)}: ${d.kind || "?"}/${d.name || "?"}`;
}

// --- parse -------------------------------------------------------------------
for (const file of files) {
	const text = fs.readFileSync(file, "utf8");
	const lines = new YAML.LineCounter();
	const parsed = YAML.parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
	const list = Array.isArray(parsed) ? parsed : [parsed];
	list.forEach((doc, index) => {
		for (const e of doc.errors) {
			errors.push(`${file}:${e.linePos ? e.linePos[0].line : "?"}: YAML: ${e.message.split("\n")[0]}`);
		}
		if (doc.errors.length) return;
		const obj = doc.toJS();
		if (obj === null || obj === undefined) return; // empty document
		const d = {
			file, index, obj, doc, lines,
			line: doc.contents && doc.contents.range ? lineOf(lines, doc.contents.range[0]) : 1,
			kind: obj.kind, name: obj.metadata && obj.metadata.name,
		};
		if (typeof obj !== "object" || Array.isArray(obj)) {
			errors.push(`${file}:${d.line}: document ${index + 1} is not a mapping`);
			return;
		}
		d.module = modelModule(obj.apiVersion, obj.kind);
		if (!d.module) {
			errors.push(`${where(d, ["kind"])}: no schema for apiVersion '${obj.apiVersion}' kind '${obj.kind}'`);
			return;
		}
		docs.push(d);
	});
}

// --- 1. kubernetes-models' schema validation -----------------------------------
for (const d of docs) {
	const Model = require(d.module)[d.kind];
	try {
		new Model(d.obj).validate();
	} catch (e) {
		const list = e.errors || [{ instancePath: "", message: e.message }];
		for (const err of list) {
			const p = (err.instancePath || "").split("/").slice(1)
				.map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
				.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
			const extra = err.params && Object.keys(err.params).length ? ` ${JSON.stringify(err.params)}` : "";
			errors.push(`${where(d, p)}: ${fmtPath(p)}: ${err.message}${extra}`);
		}
	}
}

// --- 2. strict check: TypeScript over the kinds' interfaces ------------------------
// One virtual file per document, in NPM_DIR so that imports resolve there.
const vdir = path.join(path.resolve(npmDir), ".validate");
const vfiles = new Map();
docs.forEach((d, i) => {
	const name = path.join(vdir, `doc${i}.ts`);
	const iface = `I${d.kind}`;
	const src = `import type { ${iface} } from "${d.module}";\n` +
		`export const doc: ${iface} = ${JSON.stringify(d.obj, null, 2)};\n`;
	vfiles.set(name, { d, src });
});

if (vfiles.size) {
	const options = {
		strict: true, noEmit: true, skipLibCheck: true, types: [],
		target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS,
		moduleResolution: ts.ModuleResolutionKind.Node10,
	};
	const host = ts.createCompilerHost(options);
	const getSourceFile = host.getSourceFile.bind(host);
	host.getSourceFile = (fileName, lang, ...rest) => {
		const v = vfiles.get(path.resolve(fileName));
		return v ? ts.createSourceFile(fileName, v.src, lang, true) : getSourceFile(fileName, lang, ...rest);
	};
	const fileExists = host.fileExists.bind(host);
	host.fileExists = (f) => vfiles.has(path.resolve(f)) || fileExists(f);
	const readFile = host.readFile.bind(host);
	host.readFile = (f) => (vfiles.has(path.resolve(f)) ? vfiles.get(path.resolve(f)).src : readFile(f));

	const program = ts.createProgram([...vfiles.keys()], options, host);
	const checker = program.getTypeChecker();
	for (const diag of ts.getPreEmitDiagnostics(program)) {
		// Excess properties: TypeScript names only the first one of a
		// declaration; unknownFields() below lists them all.
		if (diag.code === 2353 || diag.code === 2561) continue;
		const msg = ts.flattenDiagnosticMessageText(diag.messageText, " ").replace(/\s+/g, " ");
		const v = diag.file && vfiles.get(path.resolve(diag.file.fileName));
		if (!v) {
			errors.push(`typescript: ${msg}`);
			continue;
		}
		const p = jsonPathAt(diag.file, diag.start);
		errors.push(`${where(v.d, p)}: ${fmtPath(p)}: ${shorten(msg)}`);
	}
	for (const [name, v] of vfiles) unknownFields(checker, program.getSourceFile(name), v.d);
}

// Every property of every object literal that its expected (contextual) type
// does not define.  Types with an index signature (labels, annotations,
// ConfigMap data, resource lists) take any key.
function unknownFields(checker, sf, d) {
	const visit = (node) => {
		if (ts.isObjectLiteralExpression(node)) {
			const type = checker.getContextualType(node);
			if (type && !acceptsAnyKey(checker, type)) {
				for (const prop of node.properties) {
					if (!ts.isPropertyAssignment(prop)) continue;
					const key = prop.name.text;
					if (hasProperty(checker, type, key)) continue;
					const p = jsonPathAt(sf, prop.name.getStart(sf));
					const known = knownProperties(checker, type);
					const hint = closest(key, known);
					errors.push(`${where(d, p)}: ${fmtPath(p)}: unknown field '${key}'` +
						` (not in ${typeName(checker, type)}${hint ? `; did you mean '${hint}'?` : ""})`);
				}
			}
		}
		ts.forEachChild(node, visit);
	};
	visit(sf);
}

function parts(type) {
	return type.isUnion() ? type.types : [type];
}
function acceptsAnyKey(checker, type) {
	return parts(type).some((t) => t.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown) ||
		checker.getIndexInfosOfType(t).length > 0);
}
function hasProperty(checker, type, key) {
	return parts(type).some((t) => checker.getPropertyOfType(t, key));
}
function knownProperties(checker, type) {
	return [...new Set(parts(type).flatMap((t) => checker.getPropertiesOfType(t).map((s) => s.name)))];
}
function typeName(checker, type) {
	return checker.typeToString(type).replace(/ \| undefined$/, "").replace(/^IIoK8s(Api|Apimachinery)\w*?V\d\w*?(?=[A-Z][a-z])/, "I");
}
// The known name nearest to a misspelling (Levenshtein distance <= 3).
function closest(word, names) {
	const dist = (a, b) => {
		const m = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
		for (let j = 1; j <= b.length; j++) m[0][j] = j;
		for (let i = 1; i <= a.length; i++)
			for (let j = 1; j <= b.length; j++)
				m[i][j] = Math.min(m[i - 1][j] + 1, m[i][j - 1] + 1,
					m[i - 1][j - 1] + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
		return m[a.length][b.length];
	};
	let best = null, bestD = 4;
	for (const n of names) {
		const dd = dist(word, n);
		if (dd < bestD) { best = n; bestD = dd; }
	}
	return best;
}

// The field path of the innermost property at a position of `doc = {...}`.
function jsonPathAt(sf, pos) {
	const p = [];
	let node = sf;
	for (;;) {
		let next;
		ts.forEachChild(node, (c) => {
			if (!next && c.getStart(sf) <= pos && pos < c.getEnd()) next = c;
		});
		if (!next) break;
		if (ts.isArrayLiteralExpression(node)) p.push(node.elements.indexOf(next));
		if (ts.isPropertyAssignment(next)) p.push(next.name.text);
		node = next;
	}
	return p;
}

// Keep TypeScript's point, drop the interface soup.
function shorten(msg) {
	let m = msg.match(/Object literal may only specify known properties, and '"?([^'"]+)"?' does not exist in type '([^']+)'/);
	if (m) return `unknown field '${m[1]}' (not in ${m[2].replace(/^IIoK8s(Api|Apimachinery)/, "")})`;
	m = msg.match(/Property '"?([^'"]+)"?' is missing in type/);
	if (m) return `required field '${m[1]}' is missing`;
	return msg.length > 300 ? msg.slice(0, 300) + "..." : msg;
}

// --- report ------------------------------------------------------------------------
const seen = new Set();
for (const e of errors) {
	if (seen.has(e)) continue;
	seen.add(e);
	console.log(`invalid: ${e}`);
}
const kinds = docs.map((d) => `${d.kind}/${d.name}`).join(", ");
console.log(`validate: ${docs.length} object(s) in ${files.length} file(s): ${kinds || "none"}; ${seen.size} error(s)`);
process.exit(seen.size || docs.length === 0 ? 1 : 0);
