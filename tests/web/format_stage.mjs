// The phone page's reading of presented text up to the signature (QR codec or compact JWS, JWS
// header, claims), for tests/web/test_format_parity.py: one JSON string per line in, one reason
// code per input out ("ok" when all three read).
import { readFileSync } from "node:fs";
import { decodeQr, trimText } from "../../verifier/web/src/verify.js";
import { CLAIMS_LIMITS, parseJson, parseJws, splitCompact } from "../../verifier/web/src/jws.js";

const dictionary = new Uint8Array(readFileSync(new URL("../../passport/data/qr-dict-v1.bin", import.meta.url)));
const codes = readFileSync(0, "utf8").split("\n").filter(Boolean).map((line) => {
  const text = trimText(JSON.parse(line));
  try {
    const token = parseJws(/^SP\d{1,3}:/.test(text) ? decodeQr(text, { 1: dictionary }) : splitCompact(text));
    parseJson(token.payload, "bad_payload", "payload", CLAIMS_LIMITS);
    return "ok";
  } catch (e) {
    return e.code ?? `exception: ${e.message}`;
  }
});
process.stdout.write(JSON.stringify(codes));
