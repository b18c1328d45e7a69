// The phone page's VC Data Model 2.0 rules (verifier/web/src/vcdm.js), for
// tests/web/test_vcdm_parity.py: one JSON line per input ({"claims": ...} or {"time": "..."}),
// one answer each: the reason code of the first rule broken, or "ok" (with the instant, for a time).
import { readFileSync } from "node:fs";
import { checkDataModel, parseDateTimeStamp } from "../../verifier/web/src/vcdm.js";

const answers = readFileSync(0, "utf8").split("\n").filter(Boolean).map((line) => {
  const input = JSON.parse(line);
  try {
    if ("time" in input) return ["ok", parseDateTimeStamp(input.time)];
    checkDataModel(input.claims);
    return ["ok", null];
  } catch (e) {
    return [e.code ?? `exception: ${e.message}`, e.message];
  }
});
process.stdout.write(JSON.stringify(answers));
