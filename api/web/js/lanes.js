// The lanes view: one horizontal, scrollable lane of thumbnails per session (newest first), from
// `viewer.lanes`; more lanes load as the end of the page scrolls into view.

import { h, replaceChildren } from "./dom.js";
import { plural, timeRange } from "./format.js";
import { pager } from "./sessions.js";

const LANES_PER_PAGE = 8;
const ASSETS_PER_LANE = 16;

const LANES = `
  query Lanes($first: Int!, $after: String, $perLane: Int!) {
    viewer { lanes(first: $first, after: $after, assetsPerLane: $perLane) {
      edges { node {
        session { id label intent assetCount startedAt endedAt }
        assets { edges { node { id fileName thumbnailUrl } } pageInfo { hasNextPage } }
      } }
      pageInfo { hasNextPage endCursor } } }
  }`;

function lane(node) {
  const session = node.session;
  const headingId = `lane-${session.id.replace(/[^a-zA-Z0-9]/g, "")}`;
  const items = node.assets.edges.map(({ node: asset }, index) =>
    h(
      "li",
      {},
      asset.thumbnailUrl
        ? h("img", { src: asset.thumbnailUrl, alt: asset.fileName || "image", loading: index < 10 ? "eager" : "lazy", width: 112, height: 112 })
        : h("span", { class: "empty-cell" }, asset.fileName || "image"),
    ),
  );
  if (node.assets.pageInfo.hasNextPage) {
    items.push(
      h(
        "li",
        { class: "lane-more" },
        h("a", { href: `#/session/${encodeURIComponent(session.id)}` }, `All ${session.assetCount} →`),
      ),
    );
  }
  return h(
    "section",
    { class: "lane", "aria-labelledby": headingId, dataset: { sessionId: session.id } },
    h(
      "h3",
      { id: headingId },
      h("a", { href: `#/session/${encodeURIComponent(session.id)}` }, session.label),
      " ",
      h("span", { class: "meta" }, `${plural(session.assetCount, "image")} · ${timeRange(session.startedAt, session.endedAt)} · ${session.intent}`),
    ),
    // a focusable scroller: arrow keys scroll it
    h("ol", { class: "lane-strip", tabindex: "0", "aria-label": `Images of ${session.label}` }, items),
  );
}

export async function renderLanes({ api, view }) {
  replaceChildren(view, h("p", { class: "loading" }, "Loading lanes…"));
  const first = await api.request(LANES, { first: LANES_PER_PAGE, after: null, perLane: ASSETS_PER_LANE });
  const container = h("div", { class: "lanes" });
  let pageInfo = first.viewer.lanes.pageInfo;
  for (const edge of first.viewer.lanes.edges) container.append(lane(edge.node));
  replaceChildren(view, h("h2", {}, "Lanes"), container);
  if (pageInfo.hasNextPage) {
    view.append(
      pager("More lanes", async () => {
        const next = await api.request(LANES, { first: LANES_PER_PAGE, after: pageInfo.endCursor, perLane: ASSETS_PER_LANE });
        for (const edge of next.viewer.lanes.edges) container.append(lane(edge.node));
        pageInfo = next.viewer.lanes.pageInfo;
        return pageInfo.hasNextPage;
      }),
    );
  }
}
