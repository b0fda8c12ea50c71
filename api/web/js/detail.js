// Session detail: every image in generation order, grouped into phase bands with their intents, the
// lineage drawn between parent and child, each image's metadata, and the corrections (rename, merge with
// a neighbour, split at an image, move selected images, undo) and the reflection flow.

import { applyCorrection, correctionBanner, MERGE, MOVE, RELABEL, SPLIT } from "./corrections.js";
import { h, announce, replaceChildren } from "./dom.js";
import { plural, timeRange, when } from "./format.js";
import { drawLineage } from "./lineage.js";
import { reflectionPanel } from "./reflection.js";

const ASSETS_PER_PAGE = 50; // pages of at most 100 keep each request's cost modest
const MAX_PAGES = 40;

export const REFLECTION_FIELDS = `
  fragment ReflectionFields on Reflection {
    id state title summary stylePatterns evolutionNotes model cost charged createdAt completedAt failureReason
  }`;

const SESSION = `
  query SessionDetail($id: ID!, $first: Int!) {
    session(id: $id) {
      id label labelPinned intent assetCount startedAt endedAt tool summary confidence
      reflectionEligibility { eligible assetCount requiredAssets }
      reflection { ...ReflectionFields }
      phases { id intent label startedAt endedAt assetCount }
      assets(first: $first) { edges { node { ...AssetFields } } pageInfo { hasNextPage endCursor } }
    }
  }
  fragment AssetFields on Asset {
    id fileName thumbnailUrl parent { parentId kind confidence explicit crossSession }
  }
  ${REFLECTION_FIELDS}`;

const MORE_ASSETS = `
  query SessionAssets($id: ID!, $first: Int!, $after: String) {
    session(id: $id) { assets(first: $first, after: $after) {
      edges { node { ...AssetFields } } pageInfo { hasNextPage endCursor } } }
  }
  fragment AssetFields on Asset {
    id fileName thumbnailUrl parent { parentId kind confidence explicit crossSession }
  }`;

/**
 * One image's metadata, asked for when the image is selected. The list of a session's images carries
 * none of the file's free text: a file's prompt may be megabytes (the readers keep up to 8 MB per
 * value, and a zTXt chunk of 45 kB inflates to 3 MB), so fifty of them in one page of the list would
 * be hundreds of megabytes before the session shows.
 */
const ASSET_METADATA = `
  query AssetMetadata($id: ID!) { node(id: $id) { ... on Asset {
    id fileName tool createdAt createdAtSource prompt negativePrompt seed cfgScale steps sampler scheduler
    model width height denoise thumbnailUrl loras { name weight }
    parent { parentId kind confidence explicit crossSession } } } }`;

const NEIGHBOURS = `
  query SessionList($first: Int!, $after: String) {
    viewer { sessions(first: $first, after: $after) {
      edges { node { id label startedAt assetCount } } pageInfo { hasNextPage endCursor } } }
  }`;

const SIMILAR = `
  query Similar($id: ID!) { session(id: $id) { similarSessions(first: 4) {
    mode sessions { score session { id label assetCount } } } } }`;

/** The viewer's sessions in time order (oldest first), for neighbours and move targets. */
async function allSessions(api) {
  const sessions = [];
  let after = null;
  for (let page = 0; page < 20; page += 1) {
    const data = await api.request(NEIGHBOURS, { first: 50, after });
    const connection = data.viewer.sessions;
    sessions.push(...connection.edges.map((edge) => edge.node));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return sessions.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

async function loadSession(api, id) {
  const data = await api.request(SESSION, { id, first: ASSETS_PER_PAGE });
  const session = data.session;
  if (!session) return null;
  const assets = session.assets.edges.map((edge) => edge.node);
  let pageInfo = session.assets.pageInfo;
  for (let page = 1; pageInfo.hasNextPage && page < MAX_PAGES; page += 1) {
    const next = await api.request(MORE_ASSETS, { id, first: ASSETS_PER_PAGE, after: pageInfo.endCursor });
    assets.push(...next.session.assets.edges.map((edge) => edge.node));
    pageInfo = next.session.assets.pageInfo;
  }
  return { ...session, assets };
}

/** The images of each phase: phases are consecutive runs of the stream, so take them by count. */
function assetsByPhase(session) {
  const phases = [...session.phases].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const total = phases.reduce((sum, phase) => sum + phase.assetCount, 0);
  if (!phases.length || total !== session.assets.length) {
    return [{ phase: { id: "all", label: "All images", intent: session.intent, assetCount: session.assets.length }, assets: session.assets }];
  }
  let offset = 0;
  return phases.map((phase) => {
    const slice = session.assets.slice(offset, offset + phase.assetCount);
    offset += phase.assetCount;
    return { phase, assets: slice };
  });
}

function metadataPanel(asset, index, byId) {
  const rows = [
    ["Prompt", asset.prompt],
    ["Negative prompt", asset.negativePrompt],
    ["Seed", asset.seed],
    ["CFG", asset.cfgScale],
    ["Steps", asset.steps],
    ["Sampler", [asset.sampler, asset.scheduler].filter(Boolean).join(" / ")],
    ["Model", asset.model],
    ["LoRAs", asset.loras.map((lora) => (lora.weight === null ? lora.name : `${lora.name} (${lora.weight})`)).join(", ")],
    ["Size", asset.width && asset.height ? `${asset.width} × ${asset.height}` : null],
    ["Denoise", asset.denoise],
    ["Time", asset.createdAt ? `${when(asset.createdAt)} (from ${asset.createdAtSource || "unknown source"})` : null],
    ["Tool", asset.tool],
    ["File", asset.fileName],
  ];
  const parent = asset.parent;
  if (parent) {
    const inSession = byId.get(parent.parentId);
    rows.push([
      "Made from",
      `${inSession ? `image ${inSession.index + 1}` : "an image in another session"} (${parent.kind}, ` +
        `${parent.explicit ? "stated in the file" : "inferred"}, confidence ${parent.confidence.toFixed(2)})`,
    ]);
  }
  return h(
    "section",
    { class: "metadata", "aria-labelledby": "metadata-title" },
    h("h3", { id: "metadata-title" }, `Image ${index + 1}`),
    asset.thumbnailUrl ? h("img", { src: asset.thumbnailUrl, alt: asset.prompt || asset.fileName || "image", class: "preview" }) : null,
    h(
      "dl",
      {},
      rows
        .filter(([, value]) => value !== null && value !== undefined && value !== "")
        .map(([name, value]) => [h("dt", {}, name), h("dd", {}, String(value))]),
    ),
  );
}

/**
 * "Open <label>" after a move: shows the session the images went to, with the same banner (its Undo
 * still at hand there); Back returns to the session they came from.
 */
function openDestination(destination, banner, rerender) {
  const open = h("button", { type: "button", class: "open-destination" }, `Open ${destination.label}`);
  open.addEventListener("click", async () => {
    open.remove();
    await rerender(destination.id);
    document.querySelector(".banner-slot")?.replaceChildren(banner);
  });
  return open;
}

export async function renderSessionDetail(context, id) {
  const { api, view } = context;
  replaceChildren(view, h("p", { class: "loading" }, "Loading session…"));
  const session = await loadSession(api, id);
  if (!session) {
    replaceChildren(view, h("p", { class: "empty" }, "This session does not exist (any more): a correction may have merged it."), h("a", { href: "#/sessions" }, "Back to sessions"));
    return;
  }
  // draw another session here without a second render from hashchange (pushState fires none)
  const rerender = (nextId) => {
    if (nextId !== id) history.pushState(null, "", `#/session/${encodeURIComponent(nextId)}`);
    return renderSessionDetail(context, nextId);
  };
  const byId = new Map(session.assets.map((asset, index) => [asset.id, { asset, index }]));
  const selected = new Set();
  const aside = h("aside", { class: "metadata-panel", "aria-live": "polite" }, h("p", { class: "help" }, "Select an image to see its prompt, seed, CFG, model, LoRAs and time."));
  const banner = h("div", { class: "banner-slot" });
  let shownAsset = null;
  // the selected image's metadata; an answer for an image no longer selected is dropped
  const showMetadata = async (asset, index) => {
    shownAsset = asset.id;
    aside.replaceChildren(h("p", { class: "loading" }, `Loading image ${index + 1}…`));
    try {
      const data = await api.request(ASSET_METADATA, { id: asset.id });
      if (shownAsset !== asset.id) return;
      aside.replaceChildren(
        data.node ? metadataPanel(data.node, index, byId) : h("p", { class: "empty" }, "This image is gone (a correction or a delete)."),
      );
    } catch (error) {
      if (shownAsset === asset.id) aside.replaceChildren(h("p", { class: "form-error" }, error.friendly || String(error)));
    }
  };

  const run = async (kind, variables) => {
    try {
      const payload = await applyCorrection(api, kind, variables);
      const sessions = payload.sessions || [];
      // after a move, where the images went (the result names only that session)
      const destination =
        kind === MOVE ? sessions.find((candidate) => candidate.id === variables.toSessionId) || sessions[0] : null;
      // moving every image empties (and removes) this session: go where they went
      const emptied = kind === MOVE && variables.assetIds.length >= session.assetCount;
      // after a split, the part this view started with (the sessions come in time order); after a move
      // this session still, unless it is gone
      const next =
        kind === SPLIT
          ? sessions[0]
          : kind === MOVE
            ? emptied ? destination : { id }
            : sessions.find((candidate) => candidate.id === id) || sessions[0];
      await rerender(next ? next.id : id);
      // after re-rendering (the banner lives in the new view)
      const banner = correctionBanner(context, payload, rerender);
      if (destination && destination.id !== (next ? next.id : id)) banner.append(openDestination(destination, banner, rerender));
      document.querySelector(".banner-slot")?.replaceChildren(banner);
      announce(payload.corrections.map((correction) => correction.summary).join("; "));
    } catch (error) {
      context.showError ? context.showError(error) : announce(error.friendly || String(error), { error: true });
    }
  };

  // header: label, facts, rename
  const labelInput = h("input", { id: "label-input", name: "label", value: session.label, maxlength: "200", required: true });
  const renameForm = h(
    "form",
    {
      class: "rename",
      onsubmit: (event) => {
        event.preventDefault();
        run(RELABEL, { sessionId: id, label: labelInput.value });
      },
    },
    h("label", { for: "label-input" }, "Label"),
    labelInput,
    h("button", { type: "submit" }, "Rename"),
  );

  const neighbourSlot = h("div", { class: "neighbours", "aria-label": "Merge with a neighbour", role: "group" });
  const moveTarget = h("select", { id: "move-target", name: "move-target" }, h("option", { value: "" }, "Choose a session…"));
  const moveCount = h("span", { id: "selected-count" }, "No images selected");
  const moveButton = h("button", { type: "button", disabled: true }, "Move selected");
  moveButton.addEventListener("click", () => {
    if (!moveTarget.value) return announce("Choose the session to move the images to.", { error: true });
    run(MOVE, { assetIds: [...selected], toSessionId: moveTarget.value });
  });
  const updateSelection = () => {
    moveCount.textContent = selected.size ? `${plural(selected.size, "image")} selected` : "No images selected";
    moveButton.disabled = selected.size === 0;
  };

  // phases as bands; each image a tile with select, split and metadata
  const bands = h("div", { class: "bands" });
  for (const { phase, assets } of assetsByPhase(session)) {
    const list = h("ol", { class: "tiles" });
    for (const asset of assets) {
      const { index } = byId.get(asset.id);
      const checkbox = h("input", {
        type: "checkbox",
        id: `select-${index}`,
        onchange: (event) => {
          if (event.target.checked) selected.add(asset.id);
          else selected.delete(asset.id);
          updateSelection();
        },
      });
      const show = h(
        "button",
        {
          type: "button",
          class: "tile-image",
          "aria-label": `Image ${index + 1}: ${asset.fileName || ""}`,
          onclick: () => {
            for (const other of bands.querySelectorAll(".tile[aria-current]")) other.removeAttribute("aria-current");
            tile.setAttribute("aria-current", "true");
            showMetadata(asset, index);
          },
        },
        asset.thumbnailUrl ? h("img", { src: asset.thumbnailUrl, alt: "", loading: "lazy", width: 96, height: 96 }) : h("span", { class: "empty-cell" }),
        h("span", { class: "index" }, String(index + 1)),
        asset.parent ? h("span", { class: `lineage-kind kind-${asset.parent.kind}` }, asset.parent.kind) : null,
      );
      const tile = h(
        "li",
        { class: "tile", dataset: { assetId: asset.id, index: String(index) } },
        show,
        h("div", { class: "tile-actions" },
          h("label", { for: `select-${index}` }, checkbox, h("span", { class: "visually-hidden" }, `Select image ${index + 1}`)),
          index > 0
            ? h("button", { type: "button", class: "split", "aria-label": `Split the session at image ${index + 1}`, onclick: () => run(SPLIT, { sessionId: id, atAssetId: asset.id }) }, "Split here")
            : null,
        ),
      );
      list.append(tile);
    }
    bands.append(
      h(
        "section",
        { class: `band intent-${phase.intent}`, "aria-label": `Phase: ${phase.label}` },
        h("h3", {}, phase.label, " ", h("span", { class: "chip" }, phase.intent), " ", h("span", { class: "meta" }, plural(phase.assetCount, "image"))),
        list,
      ),
    );
  }
  const lineageLayer = h("div", { class: "lineage-wrap" }, bands);

  replaceChildren(
    view,
    h("p", {}, h("a", { href: "#/sessions" }, "← Sessions")),
    banner,
    h(
      "header",
      { class: "session-head" },
      h("h2", { id: "session-title", tabindex: "-1" }, session.label),
      h("p", { class: "meta" }, `${plural(session.assetCount, "image")} · ${timeRange(session.startedAt, session.endedAt)} · ${session.tool} · `, h("span", { class: "chip" }, session.intent)),
      renameForm,
      neighbourSlot,
      h("div", { class: "move", role: "group", "aria-label": "Move selected images" }, moveCount, " ", h("label", { for: "move-target" }, "to"), " ", moveTarget, " ", moveButton),
    ),
    reflectionPanel(context, session),
    h("div", { class: "detail-body" }, lineageLayer, aside),
    h("section", { class: "similar", "aria-labelledby": "similar-title" }, h("h3", { id: "similar-title" }, "Similar sessions"), h("p", { class: "help" }, "Loading…")),
  );
  drawLineage(lineageLayer, session.assets);
  document.getElementById("session-title").focus({ preventScroll: true }); // screen readers hear the new view

  // neighbours and move targets, then similar sessions (after the images are on screen)
  allSessions(api)
    .then((sessions) => {
      const position = sessions.findIndex((candidate) => candidate.id === id);
      const previous = position > 0 ? sessions[position - 1] : null;
      const next = position >= 0 && position < sessions.length - 1 ? sessions[position + 1] : null;
      neighbourSlot.replaceChildren(
        ...[previous && ["previous", previous], next && ["next", next]]
          .filter(Boolean)
          .map(([side, neighbour]) =>
            h("button", { type: "button", class: `merge merge-${side}`, onclick: () => run(MERGE, { sessionIds: [id, neighbour.id] }) },
              `Merge with ${side}: ${neighbour.label} (${neighbour.assetCount})`),
          ),
      );
      for (const candidate of sessions) {
        if (candidate.id !== id) moveTarget.append(h("option", { value: candidate.id }, `${candidate.label} (${candidate.assetCount}) · ${when(candidate.startedAt)}`));
      }
    })
    .catch((error) => announce(error.friendly || String(error), { error: true }));
  api
    .request(SIMILAR, { id })
    .then((data) => {
      const similar = view.querySelector(".similar");
      const hits = data.session ? data.session.similarSessions.sessions : [];
      similar.replaceChildren(
        h("h3", { id: "similar-title" }, "Similar sessions"),
        hits.length
          ? h("ul", {}, hits.map((hit) => h("li", {}, h("a", { href: `#/session/${encodeURIComponent(hit.session.id)}` }, hit.session.label), ` (${hit.session.assetCount})`)))
          : h("p", { class: "help" }, "None found."),
      );
    })
    .catch(() => view.querySelector(".similar")?.remove());
}
