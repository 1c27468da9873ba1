// A copy of rendered manifests with one object changed, for the negative
// tests of the checkers.
//   node mutate.mjs NPM_DIR IN OUT KIND/NAME 'JS statement on o'
// e.g. 'o.rules[0].verbs.push("delete")' on ClusterRole/scx-slo-agent.
// Exit 1 when no object is KIND/NAME or the statement changed nothing, so
// a mutation that misses its target cannot pass for a rejection.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const [npmDir, inFile, outFile, target, statement] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(npmDir), "package.json"));
const YAML = require("yaml");
const docs = YAML.parseAllDocuments(fs.readFileSync(inFile, "utf8")).map((d) => d.toJS()).filter(Boolean);
const [kind, name] = target.split("/");
const o = docs.find((d) => d.kind === kind && d.metadata && d.metadata.name === name);
if (!o) {
	console.error(`mutate: no ${target} in ${inFile}`);
	process.exit(1);
}
const before = JSON.stringify(o);
new Function("o", statement)(o);
if (JSON.stringify(o) === before) {
	console.error(`mutate: '${statement}' changed nothing in ${target}`);
	process.exit(1);
}
fs.writeFileSync(outFile, docs.map((d) => YAML.stringify(d)).join("---\n"));
