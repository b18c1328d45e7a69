// QR codec v2's template form, read as passport/qrpack.py reads it: the same template file,
// the same fields, and the same refusals of every second encoding of one credential.
import TEMPLATE_V2 from "../../../passport/data/qr-template-v2.json" with { type: "json" };
import { Failure, b64uEncode, enc } from "./jws.js";

const EPOCH = 1577836800;  // 2020-01-01T00:00:00Z
const MAX_SECONDS = 253402300799 - EPOCH;
const MAX_REPEAT = 1024, MAX_DIGITS = 15;
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const KHMER_FIRST = 0x1780;
const MODE_UNITS = [86400, 3600, 60, 1];
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const bad = (message) => new Failure("bad_qr", message);

function compileTemplate(doc) {
  const textBytes = Array.from({ length: 256 }, (_, b) => String.fromCharCode(b));
  const tokenBytes = [...Array(0x20).keys(), ...Array.from({ length: 0x81 }, (_, i) => 0x7f + i)];
  doc.tokens.forEach((token, i) => { if (i < tokenBytes.length) textBytes[tokenBytes[i]] = token; });
  return { strings: doc.strings, index: new Set(doc.strings), textBytes, header: doc.header,
           payload: doc.payload };
}

export const TEMPLATES = { 2: compileTemplate(TEMPLATE_V2) };

const digitLike = (s) => /^[0-9]{1,15}$/.test(s);
const clean = (s, stop) => ![...s].some((c) => stop.includes(c) || c === "\\" || c < " ");

class Reader {
  constructor(data, template) { this.data = data; this.pos = 0; this.t = template; }

  byte() {
    if (this.pos >= this.data.length) throw bad("packed credential ends early (truncated?)");
    return this.data[this.pos++];
  }

  bytes(n) {
    if (this.pos + n > this.data.length) throw bad("packed credential ends early (truncated?)");
    return this.data.subarray(this.pos, (this.pos += n));
  }

  varint() {  // qrpack._Reader._varint: at most 36 bits, no redundant last byte
    let value = 0, shift = 0, byte;
    for (;;) {
      byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
      shift += 7;
      if (shift > 35) throw bad("a packed number is too long");
    }
    if (byte === 0 && shift) throw bad("a packed number has a redundant byte (not canonical)");
    return value;
  }

  string(stop) {
    const h = this.varint(), t = this.t;
    if (h % 2 === 0) {
      if (h / 2 >= t.strings.length) throw bad(`unknown string ${h / 2} in the packed credential`);
      return t.strings[h / 2];
    }
    let value;
    if (h % 16 === 7) {
      const n = Math.floor(h / 16);
      if (!(n > 0 && n <= MAX_DIGITS)) throw bad("a packed digit string has a bad length");
      value = String(this.varint()).padStart(n, "0");
      if (value.length !== n) throw bad("a packed digit string is longer than its length");
      if (t.index.has(value)) throw bad("a packed string is in the table (not canonical)");
      return value;
    }
    if (h % 4 === 1) {
      value = Array.from(this.bytes(Math.floor(h / 4)), (b) => t.textBytes[b]).join("");
    } else if (h % 8 === 3) {
      try {
        value = utf8.decode(this.bytes(Math.floor(h / 8)));
      } catch {
        throw bad("a packed string is not UTF-8");
      }
    } else {
      const raw = this.bytes(Math.floor(h / 16));
      if (!raw.some((b) => b & 0x80)) throw bad("a packed Khmer string has no Khmer (not canonical)");
      value = Array.from(raw, (b) => String.fromCharCode(b & 0x80 ? KHMER_FIRST - 0x80 + b : b)).join("");
    }
    if (t.index.has(value) || digitLike(value)) {
      throw bad("a packed string is not in its shortest form (not canonical)");
    }
    if (!clean(value, stop)) throw bad("a packed string holds a character its place cannot");
    return value;
  }

  time() {
    const v = this.varint(), mode = v % 4, seconds = Math.floor(v / 4) * MODE_UNITS[mode];
    if (seconds > MAX_SECONDS) throw bad("a packed date is out of range");
    if (mode && seconds % MODE_UNITS[mode - 1] === 0) throw bad("a packed date is not in its shortest form");
    return `${new Date((EPOCH + seconds) * 1000).toISOString().slice(0, 19)}Z`;
  }

  crock(chars) {
    let n = 0n;
    for (const b of this.bytes(Math.ceil((5 * chars) / 8))) n = (n << 8n) | BigInt(b);
    if (n >> BigInt(5 * chars)) throw bad("a packed id has padding bits set (not canonical)");
    let s = "";
    for (let i = chars - 1; i >= 0; i--) s += CROCKFORD[Number((n >> BigInt(5 * i)) & 31n)];
    return s;
  }

  items(items, out, env) {
    for (const item of items) {
      if (typeof item === "string") { out.push(item); continue; }
      const put = (v) => { if (item.name && item.t !== "capture") env[item.name] = v; out.push(v); };
      switch (item.t) {
        case "str": put(this.string(`"${item.stop ?? ""}`)); break;
        case "ref": {
          if (!Object.hasOwn(env, item.name)) throw bad(`packed credential refers to an absent ${item.name}`);
          // A ref repeats a capture for nothing: counted before it is written, as Python does.
          this.left -= enc.encode(env[item.name]).length;
          if (this.left < 0) throw new Failure("too_large", "unpacked QR content's repeated text is too large");
          out.push(env[item.name]);
          break;
        }
        case "time": put(this.time()); break;
        case "int": {
          const v = this.varint();
          if (v >= 1e15) throw bad("a packed number is out of range");
          put(String(v));
          break;
        }
        case "hex": put(Array.from(this.bytes(item.bytes), (b) => b.toString(16).padStart(2, "0")).join("")); break;
        case "crock": put(this.crock(item.chars)); break;
        case "b64": put(b64uEncode(this.bytes(item.bytes || this.varint()))); break;
        case "choice": {
          const i = this.byte();  // one byte: a choice has fewer than 128 alternatives
          if (i >= item.alts.length) throw bad("a packed choice is out of range");
          this.items(item.alts[i], out, env);
          break;
        }
        case "repeat": {
          const count = this.varint();
          // Every element costs at least one byte, so a list cannot outgrow its text.
          if (count > MAX_REPEAT || count > this.data.length - this.pos) throw bad("a packed list is longer than its bytes");
          for (let k = 0; k < count; k++) {
            if (k) out.push(item.sep);
            this.items(item.items, out, env);
          }
          break;
        }
        case "capture": {
          const start = out.length;
          this.items(item.items, out, env);
          env[item.name] = out.slice(start).join("");
          break;
        }
        default: throw bad(`unknown template item ${item.t}`);
      }
    }
  }

  run(items, limit) {
    const out = [];
    this.left = limit;
    this.items(items, out, {});
    const bytes = enc.encode(out.join(""));
    if (bytes.length > limit) throw new Failure("too_large", "unpacked QR content is too large");
    return bytes;
  }
}

/** qrpack.Template.unpack: packed fields -> { header, payload }, the bytes that were signed. */
export function unpackTemplate(data, version, limit) {
  const t = TEMPLATES[version];
  const r = new Reader(data, t);
  const header = r.run(t.header, limit);
  const payload = r.run(t.payload, limit);
  if (r.pos !== data.length) throw bad("unexpected bytes after the packed credential");
  return { header, payload };
}
