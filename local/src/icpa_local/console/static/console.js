// The ICPA reviewer console: a static page that talks only to the review API.
//
// Configuration is config.json next to this file: {"apiBase": "", "auth": {...}, "graphPath"?}.
//   auth.mode "token":   the reviewer pastes a bearer token (the local cloud's reviewers.json).
//   auth.mode "cognito": Cognito's hosted UI, authorization code flow with PKCE; the ID token
//                        is the bearer token API Gateway's Cognito authorizer checks.
// Either way every API call carries `Authorization: Bearer <token>`, the token lives in this
// tab's sessionStorage only, and the console never sees a task token (the API has none to give).
//
// Claims are attacker-controlled: everything is rendered with text nodes (el() below), never
// innerHTML, so a claim field holding markup shows as the characters it is.

const TOKEN_KEY = "icpa.console.token";
const PKCE_KEY = "icpa.console.pkce";
const PAGE_SIZE = 25;

let config = null;

// --- DOM ---------------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      node.addEventListener(name.slice(2), value);
    } else {
      node.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function main() {
  return document.getElementById("main");
}

function show(...children) {
  const target = main();
  target.replaceChildren(...children.flat(Infinity).filter(Boolean));
  const heading = target.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

function notify(text, kind = "info") {
  const notice = document.getElementById("notice");
  notice.replaceChildren();
  if (!text) return;
  notice.append(el("p", { class: `notice ${kind}`, "data-kind": kind }, text));
}

// --- formatting --------------------------------------------------------------------------------

function money(value) {
  if (!value) return "—";
  const amount = Number(value.amount);
  try {
    return new Intl.NumberFormat("en-US", { style: "currency", currency: value.currency }).format(amount);
  } catch {
    return `${value.amount} ${value.currency}`;
  }
}

function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

function duration(ms) {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  if (minutes < 1) return "under a minute";
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days) return hours ? `${days} d ${hours} h` : `${days} d`;
  if (hours) return mins ? `${hours} h ${mins} min` : `${hours} h`;
  return `${mins} min`;
}

function waiting(createdAt) {
  return duration(Date.now() - new Date(createdAt).getTime());
}

function deadline(dueBy) {
  const left = new Date(dueBy).getTime() - Date.now();
  return left >= 0 ? `${when(dueBy)} (in ${duration(left)})` : `${when(dueBy)} (overdue by ${duration(left)})`;
}

function codes(list) {
  if (!list || !list.length) return "—";
  return el("ul", { class: "codes" }, list.map((code) => el("li", {}, el("code", {}, code))));
}

function score(value) {
  return typeof value === "number" ? value.toFixed(2) : "—";
}

function yesNo(value) {
  return value ? "yes" : "no";
}

const VERDICT_WORDS = { APPROVE: "Approved", DENY: "Denied" };

// --- the review API ----------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code || "";
    this.details = details || [];
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(config.apiBase + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "");
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, data && data.error, data && data.message, data && data.details);
  }
  return data;
}

// Every refusal in plain words: what happened, and whether anything was applied.
function plainWords(error, rule) {
  if (!(error instanceof ApiError)) return `Something went wrong in the console: ${error.message}`;
  switch (error.status) {
    case 0:
      return "The review API could not be reached. Check the connection and try again.";
    case 400:
      return `The review API refused the request: ${error.message}.`;
    case 401:
      return "You are not signed in, or your sign-in has expired. Sign in again.";
    case 403:
      return "Your account is not in the claims reviewers group, so it cannot see or decide reviews.";
    case 404:
      return "There is no such review. Check the link, or go back to the pending reviews.";
    case 409:
      return "This review has already been decided by someone else. Your decision was not applied.";
    case 410:
      return "This review timed out and the claim went to supervisors. Your decision was not applied.";
    case 413:
    case 415:
      return `The review API refused the request: ${error.message}.`;
    case 422: {
      const problems = error.details.map((d) =>
        d.field === "rationale" && rule
          ? `the rationale needs ${rule.rationale_min_length} to ${rule.rationale_max_length} characters` +
            (rule.rationale_trimmed ? ", not counting spaces at either end" : "") +
            ` (the API said: ${d.problem})`
          : `${d.field}: ${d.problem}`,
      );
      return `The decision was not accepted: ${problems.join("; ") || error.message}. Nothing was applied.`;
    }
    case 503:
      return "A service the review API depends on is unavailable right now. Nothing was applied; wait a few seconds and try again.";
    default:
      return `The review API answered with an error (HTTP ${error.status}). Nothing was applied; try again, and tell the on-call engineer if it persists.`;
  }
}

function failed(error, rule) {
  if (error instanceof ApiError && error.status === 401) {
    signOut(false);
    notify(plainWords(error), "error");
    renderSignIn();
    return;
  }
  notify(plainWords(error, rule), "error");
}

// --- sign-in -----------------------------------------------------------------------------------

function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

function signedIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = false;
}

function signOut(navigate = true) {
  sessionStorage.removeItem(TOKEN_KEY);
  document.getElementById("nav").hidden = true;
  document.getElementById("sign-out").hidden = true;
  const auth = config.auth || {};
  if (navigate && auth.mode === "cognito" && auth.logoutUri) {
    const query = new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.logoutUri });
    window.location.assign(`${auth.domain}/logout?${query}`);
    return;
  }
  if (navigate) {
    notify("Signed out.");
    renderSignIn();
  }
}

function renderSignIn() {
  const auth = config.auth || { mode: "token" };
  if (auth.mode === "cognito") {
    show(
      el("h1", {}, "Sign in"),
      el("p", {}, "Reviewers sign in with their organisation account (Cognito)."),
      el("button", { type: "button", id: "cognito-sign-in", onclick: beginCognitoSignIn }, "Sign in"),
    );
    return;
  }
  const input = el("input", {
    id: "token",
    name: "token",
    type: "password",
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "token-help",
  });
  const form = el(
    "form",
    { id: "sign-in", onsubmit: (event) => signInWithToken(event, input) },
    el("label", { for: "token" }, "Reviewer token"),
    input,
    el(
      "p",
      { id: "token-help", class: "help" },
      "`icpa serve` prints each reviewer's token when it starts (they are also in reviewers.json in its data directory).",
    ),
    el("button", { type: "submit" }, "Sign in"),
  );
  show(el("h1", {}, "Sign in"), form);
}

async function signInWithToken(event, input) {
  event.preventDefault();
  const value = input.value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  try {
    await api("GET", "/reviews?limit=1");
  } catch (error) {
    sessionStorage.removeItem(TOKEN_KEY);
    notify(
      error instanceof ApiError && error.status === 401 ? "That token is not recognised." : plainWords(error),
      "error",
    );
    input.focus();
    return;
  }
  signedIn(value);
  notify("");
  if (!location.hash || location.hash === "#/") location.hash = "#/queue";
  else route();
}

function base64url(bytes) {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function beginCognitoSignIn() {
  const auth = config.auth;
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(48)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: auth.scope || "openid email",
    state,
    code_challenge: base64url(new Uint8Array(digest)),
    code_challenge_method: "S256",
  });
  window.location.assign(`${auth.domain}/oauth2/authorize?${query}`);
}

// Back from the hosted UI with ?code=&state=: trade the code (and the PKCE verifier) for tokens.
async function completeCognitoSignIn(params) {
  const auth = config.auth;
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || "null");
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, "", location.pathname + ((pending && pending.hash) || "#/queue"));
  if (!pending || params.get("state") !== pending.state) {
    notify("The sign-in could not be completed (it did not start here, or it was replayed). Sign in again.", "error");
    return false;
  }
  const response = await fetch(`${auth.domain}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.clientId,
      code: params.get("code"),
      redirect_uri: auth.redirectUri,
      code_verifier: pending.verifier,
    }),
  }).catch(() => null);
  const tokens = response && response.ok ? await response.json().catch(() => null) : null;
  if (!tokens || !tokens.id_token) {
    notify("The sign-in service did not issue a token. Sign in again.", "error");
    return false;
  }
  signedIn(tokens.id_token);
  return true;
}

// --- views -------------------------------------------------------------------------------------

// One page of a listing (`status` PENDING or DECIDED), after the rows already shown.
async function listed(status, cursor) {
  const query = new URLSearchParams({ status, limit: String(PAGE_SIZE) });
  if (cursor) query.set("next", cursor);
  return api("GET", `/reviews?${query}`);
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function renderQueue(cursor = null, rows = []) {
  let page;
  try {
    page = await listed("PENDING", cursor);
  } catch (error) {
    failed(error);
    return;
  }
  const all = rows.concat(page.reviews);
  show(
    el("h1", {}, "Pending reviews"),
    el("p", {}, "Oldest first: the top claim has waited longest and is closest to its deadline."),
    all.length
      ? table(
          "queue",
          `${plural(all.length, "claim")} waiting for a reviewer`,
          ["Claim", "Why it needs a human", "Fraud score", "Payable", "Waiting", "Deadline"],
          all.map((r) =>
            el(
              "tr",
              { "data-review-id": r.review_id },
              el("th", { scope: "row" }, el("a", { href: `#/review/${r.review_id}` }, r.claim_id)),
              el("td", {}, codes(r.reasons)),
              el("td", { class: "num" }, score(r.fraud_score)),
              el("td", { class: "num" }, money(r.payable)),
              el("td", {}, waiting(r.created_at)),
              el("td", {}, deadline(r.due_by)),
            ),
          ),
        )
      : el("p", { id: "queue-empty" }, "No claims are waiting for review."),
    el(
      "p",
      { class: "actions" },
      page.next ? el("button", { type: "button", onclick: () => renderQueue(page.next, all) }, "Show more") : null,
      el("button", { type: "button", onclick: () => renderQueue() }, "Refresh"),
    ),
  );
}

async function renderDecided(cursor = null, rows = []) {
  let page;
  try {
    page = await listed("DECIDED", cursor);
  } catch (error) {
    failed(error);
    return;
  }
  const all = rows.concat(page.reviews);
  show(
    el("h1", {}, "Decided reviews"),
    el("p", {}, "Most recently requested first, with who decided and why."),
    all.length
      ? table(
          "decided",
          plural(all.length, "decided review"),
          ["Claim", "Decision", "Decided by", "Rationale", "Decided at"],
          all.map((r) =>
            el(
              "tr",
              { "data-review-id": r.review_id },
              el("th", { scope: "row" }, el("a", { href: `#/review/${r.review_id}` }, r.claim_id)),
              el("td", {}, VERDICT_WORDS[r.decision.decision] || r.decision.decision),
              el("td", { class: "reviewer" }, r.decision.reviewer_id),
              el("td", { class: "rationale" }, r.decision.rationale),
              el("td", {}, when(r.decision.decided_at)),
            ),
          ),
        )
      : el("p", {}, "No review has been decided yet."),
    page.next
      ? el(
          "p",
          { class: "actions" },
          el("button", { type: "button", onclick: () => renderDecided(page.next, all) }, "Show more"),
        )
      : null,
  );
}

// A wide table scrolls inside its own box (reachable by keyboard), not the whole page.
function table(id, caption, headers, rows) {
  return el(
    "div",
    { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el(
      "table",
      { id },
      el("caption", {}, caption),
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
      el("tbody", {}, rows),
    ),
  );
}

function facts(pairs) {
  return el(
    "dl",
    { class: "facts" },
    pairs.filter(Boolean).map(([term, value]) => [el("dt", {}, term), el("dd", {}, value)]),
  );
}

function claimSection(claim) {
  if (!claim) {
    return el(
      "section",
      { "aria-labelledby": "h-claim" },
      el("h2", { id: "h-claim" }, "Claim summary"),
      el("p", {}, "The claim document could not be found; the findings below still stand."),
    );
  }
  return el(
    "section",
    { "aria-labelledby": "h-claim" },
    el("h2", { id: "h-claim" }, "Claim summary"),
    facts([
      ["Claim type", claim.claim_type],
      ["Provider NPI", claim.provider_npi],
      ["Service dates", `${claim.service_date_from} to ${claim.service_date_to}`],
      ["Received", claim.received_date],
      ["Diagnoses", codes(claim.diagnosis_codes)],
      ["Total charge", money(claim.total_charge)],
    ]),
    table(
      "claim-lines",
      "Claim lines",
      ["Line", "Procedure", "Modifiers", "Units", "Charge", "Service date", "Diagnoses"],
      claim.lines.map((line) =>
        el(
          "tr",
          {},
          el("td", {}, line.line_number),
          el("td", {}, el("code", {}, line.procedure_code)),
          el("td", {}, line.modifiers.join(", ") || "—"),
          el("td", { class: "num" }, line.units),
          el("td", { class: "num" }, money(line.charge)),
          el("td", {}, line.service_date),
          el("td", {}, codes(line.diagnosis_codes)),
        ),
      ),
    ),
  );
}

function fraudSection(fraud) {
  const model = fraud.model;
  return el(
    "section",
    { "aria-labelledby": "h-fraud" },
    el("h2", { id: "h-fraud" }, "Fraud signals and their evidence"),
    facts([
      ["Fraud score", score(fraud.score)],
      ["Rules score", score(fraud.rules_score)],
      model ? ["Model", `${model.model_id} (${model.model_version}): score ${score(model.score)}`] : null,
      model && model.rationale ? ["Model's rationale", el("span", { class: "model-rationale" }, model.rationale)] : null,
    ]),
    fraud.signals.length
      ? table(
          "fraud-signals",
          "Signals",
          ["Signal", "Weight", "Evidence"],
          fraud.signals.map((signal) =>
            el(
              "tr",
              {},
              el("td", {}, el("code", {}, signal.code)),
              el("td", { class: "num" }, score(signal.weight)),
              el(
                "td",
                { class: "evidence" },
                Object.keys(signal.evidence).length
                  ? facts(Object.entries(signal.evidence).map(([k, v]) => [k.replace(/_/g, " "), v]))
                  : "—",
              ),
            ),
          ),
        )
      : el("p", {}, "No fraud rule fired."),
  );
}

function adjudicationSection(adjudication) {
  const t = adjudication.totals;
  return el(
    "section",
    { "aria-labelledby": "h-adjudication" },
    el("h2", { id: "h-adjudication" }, "Adjudication"),
    facts([
      ["Outcome", adjudication.outcome],
      ["Reason codes", codes(adjudication.reason_codes)],
      adjudication.explanation ? ["Explanation", adjudication.explanation] : null,
    ]),
    table(
      "adjudication-lines",
      "What the benefit rules would pay, line by line",
      ["Line", "Procedure", "Covered", "Submitted", "Allowed", "Deductible", "Copay", "Coinsurance", "Payable", "Reasons"],
      adjudication.lines
        .map((line) =>
          el(
            "tr",
            {},
            el("td", {}, line.line_number),
            el("td", {}, el("code", {}, line.procedure_code)),
            el("td", {}, line.eligible ? yesNo(line.covered) : "no (not eligible)"),
            ["submitted", "allowed", "deductible", "copay", "coinsurance", "payable"].map((k) =>
              el("td", { class: "num" }, money(line[k])),
            ),
            el("td", {}, codes(line.reason_codes)),
          ),
        )
        .concat([
          el(
            "tr",
            { class: "totals" },
            el("th", { scope: "row", colspan: "3" }, "Totals"),
            ["submitted", "allowed", "deductible", "copay", "coinsurance", "payable"].map((k) =>
              el("td", { class: "num" }, money(t[k])),
            ),
            el("td", {}, ""),
          ),
        ]),
    ),
  );
}

function decisionSection(detail, onDecided) {
  const heading = el("h2", { id: "h-decision" }, "Decision");
  if (detail.status === "DECIDED" && detail.decision) {
    const d = detail.decision;
    return el(
      "section",
      { "aria-labelledby": "h-decision", id: "decision" },
      heading,
      el(
        "p",
        { id: "decided-by" },
        `${VERDICT_WORDS[d.decision] || d.decision} by `,
        el("strong", { class: "reviewer" }, d.reviewer_id),
        ` at ${when(d.decided_at)}.`,
      ),
      el("blockquote", { class: "rationale" }, d.rationale),
    );
  }
  if (detail.status === "TIMED_OUT") {
    return el(
      "section",
      { "aria-labelledby": "h-decision", id: "decision" },
      heading,
      el("p", {}, "This review timed out before anyone decided it; the claim went to supervisors."),
    );
  }
  const rule = detail.decision_rule;
  const ruleText =
    `Choose approve or deny and give your reasons: ${rule.rationale_min_length} to ` +
    `${rule.rationale_max_length} characters` +
    (rule.rationale_trimmed ? " (spaces at either end do not count)" : "") +
    ". Your name and rationale go into the claim's audit trail.";
  const rationale = el("textarea", {
    id: "rationale",
    name: "rationale",
    rows: "4",
    required: true,
    minlength: String(rule.rationale_min_length),
    maxlength: String(rule.rationale_max_length),
    "aria-describedby": "rationale-rule rationale-count",
  });
  const count = el("p", { id: "rationale-count", class: "help" }, "0 characters");
  rationale.addEventListener("input", () => {
    const n = rule.rationale_trimmed ? rationale.value.trim().length : rationale.value.length;
    count.textContent = `${n} character${n === 1 ? "" : "s"}`;
  });
  const verdicts = rule.verdicts.map((verdict) =>
    el(
      "div",
      { class: "choice" },
      el("input", { type: "radio", name: "decision", id: `decision-${verdict}`, value: verdict, required: true }),
      el("label", { for: `decision-${verdict}` }, verdict === "APPROVE" ? "Approve" : verdict === "DENY" ? "Deny" : verdict),
    ),
  );
  const submit = el("button", { type: "submit", id: "submit-decision" }, "Submit decision");
  const form = el(
    "form",
    {
      id: "decision-form",
      onsubmit: async (event) => {
        event.preventDefault();
        const chosen = form.querySelector("input[name=decision]:checked");
        if (!chosen) return;
        submit.disabled = true;
        try {
          const accepted = await api("POST", `/reviews/${encodeURIComponent(detail.review_id)}/decision`, {
            decision: chosen.value,
            rationale: rationale.value,
          });
          notify(
            `Decision recorded: ${VERDICT_WORDS[accepted.decision.decision] || accepted.decision.decision}. The workflow resumes.`,
            "success",
          );
          onDecided();
        } catch (error) {
          failed(error, rule);
          if (error instanceof ApiError && (error.status === 409 || error.status === 410)) {
            onDecided(); // show the review as it stands now
            return;
          }
          submit.disabled = false;
        }
      },
    },
    el("p", { id: "rationale-rule", class: "rule" }, ruleText),
    el("fieldset", {}, el("legend", {}, "Decision"), verdicts),
    el("label", { for: "rationale" }, "Rationale"),
    rationale,
    count,
    submit,
  );
  return el("section", { "aria-labelledby": "h-decision", id: "decision" }, heading, form);
}

function timelineSection(timeline, error) {
  const heading = el("h2", { id: "h-audit" }, "Audit timeline");
  if (!timeline) {
    return el("section", { "aria-labelledby": "h-audit" }, heading, el("p", {}, plainWords(error)));
  }
  return el(
    "section",
    { "aria-labelledby": "h-audit", id: "audit" },
    heading,
    el(
      "p",
      { id: "chain-status", class: timeline.intact ? "ok" : "warn" },
      timeline.intact
        ? `The audit chain checks out (${timeline.events.length + timeline.omitted} events, each linked to the one before).`
        : `Warning: the audit chain does not check out (${timeline.problem}). Tell compliance before deciding.`,
    ),
    el(
      "ol",
      { class: "timeline" },
      timeline.events.map((e) =>
        el(
          "li",
          { "data-step": e.step },
          el("span", { class: "when" }, when(e.occurred_at)),
          " ",
          el("strong", {}, e.step.replace(/_/g, " ")),
          ` by ${e.service}: ${e.decision}`,
          e.reason_codes.length ? ` (${e.reason_codes.join(", ")})` : "",
          e.reviewer_id ? [" — reviewer ", el("span", { class: "reviewer" }, e.reviewer_id)] : "",
          e.rationale ? [": ", el("q", {}, e.rationale)] : "",
        ),
      ),
    ),
    timeline.omitted ? el("p", {}, `${timeline.omitted} later events are not shown.`) : null,
  );
}

async function graphSection(reviewId) {
  if (!config.graphPath) return null;
  const heading = el("h2", { id: "h-graph" }, "The workflow, with this claim's path");
  let picture;
  try {
    const response = await fetch(config.apiBase + config.graphPath.replace("{review_id}", encodeURIComponent(reviewId)), {
      headers: { Authorization: `Bearer ${token()}` },
      cache: "no-store",
      credentials: "omit",
    });
    if (!response.ok) throw new ApiError(response.status, "", "");
    // An <img> of a blob: the SVG is shown as a picture and never runs as part of the page.
    const url = URL.createObjectURL(await response.blob());
    picture = el("img", {
      id: "workflow-graph",
      src: url,
      alt: "The claims workflow's states and transitions; the path this claim took is drawn bold.",
    });
  } catch (error) {
    picture = el("p", {}, `The picture could not be drawn: ${plainWords(error)}`);
  }
  return el("section", { "aria-labelledby": "h-graph" }, heading, picture);
}

async function renderReview(reviewId) {
  let detail;
  try {
    detail = await api("GET", `/reviews/${encodeURIComponent(reviewId)}`);
  } catch (error) {
    failed(error);
    if (!(error instanceof ApiError && error.status === 401)) {
      show(el("h1", {}, "Review not shown"), el("p", {}, el("a", { href: "#/queue" }, "Back to the pending reviews")));
    }
    return;
  }
  let timeline = null;
  let timelineError = null;
  try {
    timeline = await api("GET", `/reviews/${encodeURIComponent(reviewId)}/audit`);
  } catch (error) {
    timelineError = error;
  }
  const statusLine =
    detail.status === "PENDING"
      ? `Waiting for a reviewer for ${waiting(detail.created_at)}; deadline ${deadline(detail.due_by)}.`
      : detail.status === "DECIDED"
        ? "Decided."
        : "Timed out: the claim went to supervisors.";
  show(
    el("p", {}, el("a", { href: "#/queue" }, "← Pending reviews")),
    el("h1", {}, `Claim ${detail.claim_id}`),
    el("p", { id: "review-status", "data-status": detail.status }, statusLine),
    el(
      "section",
      { "aria-labelledby": "h-routing" },
      el("h2", { id: "h-routing" }, "Why it needs a human"),
      el("p", {}, "The router sent this claim for review for these reasons:"),
      el("div", { id: "routing-reasons" }, codes(detail.routing.reasons)),
    ),
    decisionSection(detail, () => renderReview(reviewId)),
    claimSection(detail.claim),
    fraudSection(detail.fraud),
    adjudicationSection(detail.adjudication),
    timelineSection(timeline, timelineError),
    await graphSection(reviewId),
  );
}

// --- routing -----------------------------------------------------------------------------------

function route() {
  if (!token()) {
    renderSignIn();
    return;
  }
  document.getElementById("nav").hidden = false;
  document.getElementById("sign-out").hidden = false;
  const hash = location.hash || "#/queue";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === hash) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const review = hash.match(/^#\/review\/([^/]+)$/);
  if (review) renderReview(decodeURIComponent(review[1]));
  else if (hash === "#/decided") renderDecided();
  else renderQueue();
}

async function start() {
  try {
    const response = await fetch("config.json", { cache: "no-store" });
    config = await response.json();
  } catch {
    show(el("h1", {}, "Console not configured"), el("p", {}, "config.json could not be read next to this page."));
    return;
  }
  config.apiBase = (config.apiBase || "").replace(/\/+$/, "");
  document.getElementById("sign-out").addEventListener("click", () => signOut(true));
  window.addEventListener("hashchange", () => {
    notify("");
    route();
  });
  const params = new URLSearchParams(location.search);
  if (config.auth && config.auth.mode === "cognito" && params.has("code")) {
    await completeCognitoSignIn(params);
  }
  route();
}

start();
