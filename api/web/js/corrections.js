// Corrections: merge, split, move, rename and undo through the public mutations, a banner with the
// result (and its Undo), and the history view (`viewer.corrections`).

import { h, replaceChildren, announce } from "./dom.js";
import { plural, when } from "./format.js";

export const MERGE = "mergeSessions";
export const SPLIT = "splitSession";
export const MOVE = "moveAssets";
export const RELABEL = "relabelSession";

const RESULT = `
  __typename
  ... on CorrectionApplied { sessions { id label assetCount } corrections { id kind summary canUndo } thresholdOffset }
  ... on NotFound { message }
  ... on InvalidCorrection { message }`;

const MUTATIONS = {
  [MERGE]: `mutation Merge($sessionIds: [ID!]!) { result: mergeSessions(sessionIds: $sessionIds) { ${RESULT} } }`,
  [SPLIT]: `mutation Split($sessionId: ID!, $atAssetId: ID!) { result: splitSession(sessionId: $sessionId, atAssetId: $atAssetId) { ${RESULT} } }`,
  [MOVE]: `mutation Move($assetIds: [ID!]!, $toSessionId: ID!) { result: moveAssets(assetIds: $assetIds, toSessionId: $toSessionId) { ${RESULT} } }`,
  [RELABEL]: `mutation Relabel($sessionId: ID!, $label: String) { result: relabelSession(sessionId: $sessionId, label: $label) { ${RESULT} } }`,
};

const UNDO = `
  mutation Undo($id: ID!) { result: undoCorrection(id: $id) {
    __typename
    ... on CorrectionUndone { correction { id summary } sessions { id label assetCount } }
    ... on NotFound { message } ... on AlreadyUndone { message } ... on CannotUndo { message } } }`;

const HISTORY = `
  query Corrections($after: String) { viewer { corrections(first: 20, after: $after) {
    edges { node { id kind summary createdAt undone canUndo undoBlockedReason sessions { id label } } }
    pageInfo { hasNextPage endCursor } } } }`;

/** Apply one correction; resolves to the CorrectionApplied payload, rejects with the refusal's message. */
export async function applyCorrection(api, kind, variables) {
  const data = await api.request(MUTATIONS[kind], variables);
  if (data.result.__typename !== "CorrectionApplied") throw new Error(data.result.message);
  return data.result;
}

/** Undo a correction; resolves to the CorrectionUndone payload. */
export async function undoCorrection(api, id) {
  const data = await api.request(UNDO, { id });
  if (data.result.__typename !== "CorrectionUndone") throw new Error(data.result.message);
  return data.result;
}

/** What a correction did, with links to the sessions it left and an Undo button. */
export function correctionBanner(context, payload, show) {
  const undo = h("button", { type: "button", class: "undo" }, "Undo");
  undo.addEventListener("click", async () => {
    undo.disabled = true;
    try {
      let sessions = [];
      for (const correction of [...payload.corrections].reverse()) {
        sessions = (await undoCorrection(context.api, correction.id)).sessions;
      }
      announce("Undone.");
      if (sessions.length) await show(sessions[0].id);
    } catch (error) {
      undo.disabled = false;
      context.showError(error);
    }
  });
  return h(
    "div",
    { class: "banner", role: "status" },
    h("p", {}, payload.corrections.map((correction) => correction.summary).join("; ")),
    h(
      "ul",
      { class: "result-sessions" },
      payload.sessions.map((session) =>
        h("li", {}, h("a", { href: `#/session/${encodeURIComponent(session.id)}` }, session.label), ` (${plural(session.assetCount, "image")})`),
      ),
    ),
    payload.corrections.every((correction) => correction.canUndo) ? undo : null,
  );
}

export async function renderCorrections(context) {
  const { api, view } = context;
  replaceChildren(view, h("p", { class: "loading" }, "Loading corrections…"));
  const list = h("ol", { class: "corrections" });
  let after = null;
  const load = async () => {
    const data = await api.request(HISTORY, { after });
    for (const { node } of data.viewer.corrections.edges) {
      const undo = h("button", { type: "button" }, "Undo");
      undo.addEventListener("click", async () => {
        undo.disabled = true;
        try {
          await undoCorrection(api, node.id);
          announce(`Undone: ${node.summary}`);
          await renderCorrections(context);
        } catch (error) {
          undo.disabled = false;
          context.showError(error);
        }
      });
      list.append(
        h(
          "li",
          {},
          h("span", { class: "chip" }, node.kind.toLowerCase()),
          " ",
          node.summary,
          " ",
          h("span", { class: "meta" }, when(node.createdAt)),
          " ",
          node.undone ? h("span", { class: "meta" }, "(undone)") : node.canUndo ? undo : h("span", { class: "meta" }, node.undoBlockedReason || ""),
        ),
      );
    }
    after = data.viewer.corrections.pageInfo.endCursor;
    return data.viewer.corrections.pageInfo.hasNextPage;
  };
  const more = await load();
  replaceChildren(view, h("h2", {}, "Corrections"), list.children.length ? list : h("p", { class: "empty" }, "No corrections yet."));
  if (more) {
    const button = h("button", { type: "button", class: "more" }, "Older corrections");
    button.addEventListener("click", async () => {
      if (!(await load())) button.remove();
    });
    view.append(button);
  }
}
