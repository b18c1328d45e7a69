// A verification result as page content: pure DOM building, shared by the verifier page and the
// holder's page. Every function takes the result as verifyText returns it and a context
// { t, lang, unitTitles, trust?, ids? }: t(key) translates, lang is the page's language,
// unitTitles maps a unit's ResultDescription to its titles by language, trust (optional) is the
// loaded trust state the result was judged against, ids (default true) gives the main result's
// elements their ids (#verdict, #units): false for a result among others.
//
// Every string shown (a credential's claims, the trust data, a translation, an engine message)
// goes in as text: a Text node or an attribute value, never as markup. Nothing here writes
// innerHTML, and the pages' Content-Security-Policy (Trusted Types) would refuse it.

/** An element with attributes (null and undefined left out) and children (nodes, or strings
 * that become Text nodes). */
export function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, String(value));
  }
  node.append(...children.filter((c) => c !== undefined && c !== null && c !== false)
    .map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/** The UTC date of an instant (ms), YYYY-MM-DD. */
export const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);

/** Whether a check of the result passed. */
export const passed = (result, check) => result.checks.some((x) => x.check === check && x.status === "pass");

/** A template's {name} placeholders filled in. */
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (m, name) => (Object.hasOwn(values, name) ? String(values[name]) : m));

/** How far the credential's claims may be believed:
 * "trusted": signed by a key of the trust data and the content well formed, verdict not invalid;
 * "untrusted": signed and well formed, but not valid (revoked, a compromised key...): shown
 *   collapsed and marked, never as a statement;
 * "hidden": anyone's words (a forged or damaged card): never shown. */
export function claimTrust(result) {
  if (!result.claims || !result.issuer || !passed(result, "signature") || !passed(result, "schema")) return "hidden";
  return result.verdict === "invalid" ? "untrusted" : "trusted";
}

/** The CQF level a targetCode names ("C1" -> 1), or null. */
export function cqfLevel(code) {
  const m = /^C([1-8])$/.exec(String(code));
  return m ? Number(m[1]) : null;
}

/** "CODE title" in the page's language (English when the rubric has none), or the code alone
 * for a unit of a rubric this page does not carry. */
export function unitLine(resultDescription, ctx) {
  const code = resultDescription.split("#")[1];
  const titles = ctx.unitTitles && Object.hasOwn(ctx.unitTitles, resultDescription) ? ctx.unitTitles[resultDescription] : null;
  const title = titles && (titles[ctx.lang] || titles.en);
  return title ? `${code} ${title}` : code;
}

/** The holder of a credential whose claims were checked: the binding bulk.py groups by. */
export function holderOf(result) {
  if (claimTrust(result) === "hidden") return null;
  const s = result.claims.credentialSubject;
  return { name: s.name, nameKm: s.nameKm, birthYear: s.birthYear, nationalIdLast4: s.nationalIdLast4 };
}

/** What the card says, line by line (only ever called for a signed, well-formed credential). */
export function claimLines(result, ctx) {
  const { t } = ctx;
  const c = result.claims, s = c.credentialSubject, a = s.achievement;
  const isco = a.alignment.find((x) => x.targetFramework === "ISCO-08");
  const level = a.alignment.find((x) => x.targetFramework === "CQF");
  const n = cqfLevel(level.targetCode);
  const lines = [
    el("p", { class: "holder" }, el("b", null, s.nameKm), " / ", el("b", null, s.name),
      ` · ${t("label.born")} ${s.birthYear} · ${t("label.id")} …${s.nationalIdLast4}`),
    el("p", { class: "award" }, a.nameKm, el("br"), a.name, el("br"), `${t(`award.${a.achievementType}`)} · ${level.targetName}`),
  ];
  if (n !== null && t("cqf.explain")) lines.push(el("p", { class: "explain cqf" }, fill(t("cqf.explain"), { n })));
  lines.push(el("p", { class: "occupation" },
    `${t("label.occupation")}: ${t(`isco.${isco.targetCode}`) || isco.targetName} (ISCO-08 ${isco.targetCode})`));
  if (s.result) {
    lines.push(el("p", null, `${t("label.units")}:`),
      el("ul", { id: ctx.ids === false ? null : "units", class: "units" },
        ...s.result.map((r) => el("li", null, unitLine(r.resultDescription, ctx)))));
  }
  lines.push(el("p", { class: "issuer" }, `${t("label.issuer")}: ${result.issuer.name} / ${result.issuer.nameKm} · ${t("label.issued")} ${c.validFrom.slice(0, 10)}`));
  // What the occupation is called in the recruiter's country, and what an RPL certificate
  // stands for there: said of a credential that is not invalid, never of another.
  if (["ja", "ko"].includes(ctx.lang) && result.verdict !== "invalid") {
    const field = t(`field.${isco.targetCode}`);
    const overseas = a.achievementType !== "Course" ? t("note.overseas") : "";
    if (field || overseas) {
      lines.push(el("div", { class: "note" },
        field ? el("p", { class: "field" }, `${t("label.field")}: ${field}`) : null,
        overseas ? el("p", { class: "overseas" }, overseas) : null));
    }
  }
  return lines;
}

/** When the status data that shows a credential revoked or suspended was issued (ms), from
 * the trust state it was judged against; null when not known. */
export function statusShownAsOf(result, ctx) {
  if (result.statusAsOf !== null && result.statusAsOf !== undefined) return result.statusAsOf;
  const status = result.checks.find((x) => x.check === "status");
  if (!ctx.trust || !result.claims || !status || !["revoked", "suspended"].includes(status.code)) return null;
  const purpose = status.code === "revoked" ? "revocation" : "suspension";
  const entries = Array.isArray(result.claims.credentialStatus) ? result.claims.credentialStatus : [];
  const entry = entries.find((e) => e && e.statusPurpose === purpose);
  const list = entry && ctx.trust.statusLists.get(entry.statusListCredential);
  return list ? list.validFrom : null;
}

/** The verdict heading: "VALID · status as of YYYY-MM-DD" when the status check ran. */
export function verdictLine(result, ctx) {
  const { t } = ctx;
  const status = result.checks.find((x) => x.check === "status");
  const asOf = status && status.status === "pass" && result.statusAsOf !== null && result.statusAsOf !== undefined
    ? ` · ${t("label.status_as_of")} ${isoDay(result.statusAsOf)}` : "";
  return el("h2", { id: ctx.ids === false ? null : "verdict", class: "verdict" }, `${t(`verdict.${result.verdict}`)}${asOf}`);
}

/** The checks, each in the page's language; skipped ones that were never reached left out.
 * The engine's own words (English) are added under a failed check only on an English page. */
export function checkList(result, ctx) {
  const { t } = ctx;
  const when = (x) => {
    if (x.code === "status_unknown" && x.status === "warn" && result.statusUnknownAsOf !== null && result.statusUnknownAsOf !== undefined) {
      return ` (${t("label.as_of")} ${isoDay(result.statusUnknownAsOf)})`;
    }
    if (x.code === "trust_list_expired" && result.trustListExpired !== null && result.trustListExpired !== undefined) {
      return ` (${t("label.expired_on")} ${isoDay(result.trustListExpired)})`;
    }
    if (x.check === "status" && (x.code === "revoked" || x.code === "suspended")) {
      const shown = statusShownAsOf(result, ctx);
      return shown !== null ? ` (${t("label.on_or_before")} ${isoDay(shown)})` : "";
    }
    return "";
  };
  const detail = (x) => (ctx.lang === "en" && x.status === "fail" && x.message
    ? [el("br"), el("small", { class: "detail", lang: "en" }, x.message)] : []);
  return el("ul", { class: "checks" }, ...result.checks.filter((x) => x.status !== "skip" || x.code !== "not_checked").map((x) =>
    el("li", { class: x.status, "data-code": x.code },
      `${t(`check.${x.check}`)}: ${t(`code.${x.code}`) || x.code}${when(x)}`, ...detail(x))));
}

/** A signed but invalid credential's claims: collapsed, marked as not verified. */
export function untrustedClaims(result, ctx) {
  return el("details", { class: "untrusted" }, el("summary", null, ctx.t("label.untrusted")), ...claimLines(result, ctx));
}

/** The whole result: the verdict, what the card says (as its trust allows), the checks. */
export function renderResult(result, ctx) {
  const parts = [verdictLine(result, ctx)];
  // A card's claims (holder, achievement, centre...) are shown as such only once its signature
  // has verified against a key the trust data names, its content has passed the schema, and
  // the verdict is not invalid. A signed card that is refused (revoked, a compromised key...)
  // keeps its claims, collapsed and marked as not verified: who the refused card names is
  // what the employer needs to know, never read as a statement. A forged or damaged card
  // shows the verdict and the reasons, nothing it claims.
  const trust = claimTrust(result);
  try {
    if (trust === "trusted") parts.push(...claimLines(result, ctx));
    else if (trust === "untrusted") parts.push(untrustedClaims(result, ctx));
  } catch {
    // The schema and the content checks guarantee every field read above; should they not,
    // the verdict and the reasons still stand, without the card's lines.
  }
  parts.push(checkList(result, ctx));
  return parts;
}
