// Bundles the page with esbuild and assembles dist/: code, the zxing wasm, and the data files
// the page shares with the Python verifier (QR dictionaries, schemas, translations).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// Data files are written compact: a phone on a slow link pays for every indent.
const compact = (from, to) => writeFileSync(to, JSON.stringify(JSON.parse(readFileSync(from, "utf8"))));
const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..");
const dist = join(here, "dist");
rmSync(dist, { recursive: true, force: true });
mkdirSync(join(dist, "i18n"), { recursive: true });

// Two pages share the folder, its data and its service worker: the verifier (index.html, app.js)
// and the holder's passport (holder.html, holder.js).
await build({ entryPoints: [join(here, "src", "app.js"), join(here, "src", "holder.js")], bundle: true, format: "esm",
  splitting: true, chunkNames: "chunk-[hash]", minify: true, target: ["chrome109", "safari16"], outdir: dist,
  legalComments: "linked" });
// What both pages use (verification, the QR reader's loader) is one shared chunk, loaded once.
const chunks = readdirSync(dist).filter((f) => /^chunk-[A-Z0-9]+\.js$/.test(f));
const pages = ["index.html", "style.css", "manifest.webmanifest", "icon.svg", "holder.html", "holder.css", "holder.webmanifest"];
for (const f of pages) copyFileSync(join(here, "src", f), join(dist, f));
copyFileSync(join(here, "node_modules", "zxing-wasm", "dist", "reader", "zxing_reader.wasm"), join(dist, "zxing_reader.wasm"));
// Khmer glyphs travel with the page: a phone or laptop without a Khmer font still reads names.
const fonts = [];
for (const weight of ["400", "700"]) {
  const file = `noto-sans-khmer-khmer-${weight}-normal.woff2`;
  copyFileSync(join(here, "node_modules", "@fontsource", "noto-sans-khmer", "files", file), join(dist, file));
  fonts.push(file);
}
const languages = {};
for (const f of readdirSync(join(repo, "verifier", "i18n"))) {
  compact(join(repo, "verifier", "i18n", f), join(dist, "i18n", f));
  languages[f.replace(/\.json$/, "")] = JSON.parse(readFileSync(join(repo, "verifier", "i18n", f), "utf8")).language;
}
// Each language's name in itself, for the pickers: one small file instead of seven tables.
writeFileSync(join(dist, "languages.json"), JSON.stringify(languages));
const dictionaries = {};
for (const f of readdirSync(join(repo, "passport", "data")).filter((f) => /^qr-dict-v\d+\.bin$/.test(f))) {
  copyFileSync(join(repo, "passport", "data", f), join(dist, f));
  dictionaries[f.match(/v(\d+)/)[1]] = f;
}
const schemas = {};
// The trust bundle's documents are checked against their schemas as passport/bundle.py does.
// A passport file (the holder's shared selection, a centre's download) is checked as Python does.
for (const name of ["credential", "vc-core", "trust-bundle", "trust-list", "status-list-credential", "issuance-record",
  "passport-bundle"]) {
  compact(join(repo, "schemas", `${name}.schema.json`), join(dist, `${name}.schema.json`));
  schemas[name] = `${name}.schema.json`;
}
// Unit titles for the ResultDescriptions cards list (tools/unit_titles.py writes the file from
// the rubric catalogue; the command line reads the same file).
const unitTitles = "unit-titles.json";
compact(join(repo, "verifier", "data", unitTitles), join(dist, unitTitles));
// Installation data (root keys, trust bundle) is added by `skillpass verifier export` or the
// issuer's /verify route; the build only names the static files. The pin (verifier-config.json)
// is not cached: the export and the issuer write it into sw.js, which serves it (see sw.js).
writeFileSync(join(dist, "build.json"), JSON.stringify({ dictionaries, schemas, unitTitles }, null, 1));
const files = [...pages, "app.js", "holder.js", ...chunks, "languages.json", "zxing_reader.wasm", ...fonts,
  ...Object.values(dictionaries), ...Object.values(schemas), unitTitles, ...readdirSync(join(dist, "i18n")).map((f) => `i18n/${f}`)];
const assets = ["./", ...files, "trust-bundle.json"];
// The service worker serves a cached file only if it still has the bytes built here.
const digests = { "./": sha256(join(dist, "index.html")) };
for (const f of files) digests[f] = sha256(join(dist, f));
const hash = createHash("sha256");
for (const f of files) hash.update(digests[f]);
const sw = readFileSync(join(here, "src", "sw.js"), "utf8")
  .replace("__VERSION__", `skillpass-${hash.digest("hex").slice(0, 12)}`)
  .replace("__ASSETS__", JSON.stringify(assets))
  .replace("__DIGESTS__", JSON.stringify(digests, null, 1));
writeFileSync(join(dist, "sw.js"), sw);
console.log(`built ${dist}`);
