// JSON Schema (Draft 2020-12), the keyword subset Skills Passport's schemas use, as in
// passport/schemac.py: anything else is refused rather than ignored.
const SUPPORTED = new Set(["$schema", "$id", "$ref", "$defs", "title", "description", "format", "type",
  "const", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "items", "minItems",
  "maxItems", "uniqueItems", "contains", "properties", "required", "additionalProperties", "oneOf",
  "anyOf", "allOf"]);

export function jsonEqual(a, b) {
  if (typeof a === "boolean" || typeof b === "boolean") return a === b;
  if (typeof a === "number" && typeof b === "number") return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a), kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return a === b;
}

function typeOk(t, v) {
  switch (t) {
    case "string": return typeof v === "string";
    case "integer": return typeof v === "number" && Number.isInteger(v);
    case "number": return typeof v === "number";
    case "boolean": return typeof v === "boolean";
    case "object": return v !== null && typeof v === "object" && !Array.isArray(v);
    case "array": return Array.isArray(v);
    case "null": return v === null;
    default: throw new Error(`unknown type ${t}`);
  }
}

const regexes = new Map();
const regex = (p) => { if (!regexes.has(p)) regexes.set(p, new RegExp(p, "u")); return regexes.get(p); };
const codePoints = (s) => [...s].length;

function resolve(schemas, base, ref) {
  const url = new URL(ref, base);
  const doc = schemas.byId[url.href.split("#")[0]];
  let node = doc;
  for (const part of url.hash.replace(/^#/, "").split("/").filter(Boolean)) node = node[decodeURIComponent(part)];
  return [url.href.split("#")[0], node];
}

function valid(schemas, base, node, v) {
  if (node === true) return true;
  if (node === false) return false;
  for (const k of Object.keys(node)) if (!SUPPORTED.has(k)) throw new Error(`unsupported keyword ${k}`);
  if (node.$id) base = node.$id;
  if (node.$ref) { const [b, target] = resolve(schemas, base, node.$ref); if (!valid(schemas, b, target, v)) return false; }
  if (node.type) { const ts = Array.isArray(node.type) ? node.type : [node.type]; if (!ts.some((t) => typeOk(t, v))) return false; }
  if ("const" in node && !jsonEqual(v, node.const)) return false;
  if (node.enum && !node.enum.some((e) => jsonEqual(v, e))) return false;
  if (typeof v === "string") {
    if (node.pattern && !regex(node.pattern).test(v)) return false;
    if (node.minLength !== undefined && codePoints(v) < node.minLength) return false;
    if (node.maxLength !== undefined && codePoints(v) > node.maxLength) return false;
  }
  if (typeof v === "number") {
    if (node.minimum !== undefined && v < node.minimum) return false;
    if (node.maximum !== undefined && v > node.maximum) return false;
  }
  if (Array.isArray(v)) {
    if (node.minItems !== undefined && v.length < node.minItems) return false;
    if (node.maxItems !== undefined && v.length > node.maxItems) return false;
    if (node.uniqueItems && v.some((x, i) => v.slice(i + 1).some((y) => jsonEqual(x, y)))) return false;
    if (node.items && !v.every((x) => valid(schemas, base, node.items, x))) return false;
    if (node.contains && !v.some((x) => valid(schemas, base, node.contains, x))) return false;
  }
  if (typeOk("object", v)) {
    if (node.required && !node.required.every((k) => k in v)) return false;
    const props = node.properties || {};
    for (const [k, sub] of Object.entries(props)) if (k in v && !valid(schemas, base, sub, v[k])) return false;
    if (node.additionalProperties !== undefined && node.additionalProperties !== true) {
      for (const k of Object.keys(v)) if (!(k in props) && !valid(schemas, base, node.additionalProperties, v[k])) return false;
    }
  }
  if (node.allOf && !node.allOf.every((s) => valid(schemas, base, s, v))) return false;
  if (node.anyOf && !node.anyOf.some((s) => valid(schemas, base, s, v))) return false;
  if (node.oneOf && node.oneOf.filter((s) => valid(schemas, base, s, v)).length !== 1) return false;
  return true;
}

export function validate(schemas, name, document) {
  const root = schemas.byName[name];
  return valid(schemas, root.$id, root, document);
}

export function schemaSet(documents) {
  const byName = {}, byId = {};
  for (const [name, doc] of Object.entries(documents)) { byName[name] = doc; byId[doc.$id] = doc; }
  return { byName, byId };
}
