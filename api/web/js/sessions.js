// The sessions view: cards grouped Today / This week / Earlier (the viewer's time zone, by the server's
// `viewer.sessionGroups`), each with a 3×3 thumbnail grid, count, time range, label, intent and the
// reflection summary; every group pages on by its own cursor as its end scrolls into view.

import { h, replaceChildren } from "./dom.js";
import { plural, timeRange } from "./format.js";

export const CARDS_PER_PAGE = 12; // × 9 thumbnails: a modest query cost per request

export const CARD_FIELDS = `
  fragment Card on Session {
    id label intent assetCount startedAt endedAt tool summary
    thumbnails(first: 9) { assetId url }
  }`;

const GROUPS = `
  query SessionGroups($first: Int!) {
    viewer { sessionGroups { period title sessionCount
      sessions(first: $first) { edges { node { ...Card } } pageInfo { hasNextPage endCursor } } } }
  }
  ${CARD_FIELDS}`;

const MORE = `
  query MoreSessions($period: SessionPeriod!, $first: Int!, $after: String) {
    viewer { sessionGroups(periods: [$period]) {
      sessions(first: $first, after: $after) { edges { node { ...Card } } pageInfo { hasNextPage endCursor } } } }
  }
  ${CARD_FIELDS}`;

/** One session card (also used by search results). */
export function sessionCard(session) {
  const cells = session.thumbnails.map((thumbnail) =>
    h("img", { src: thumbnail.url, alt: "", loading: "lazy", decoding: "async", width: 80, height: 80 }),
  );
  while (cells.length < 9) cells.push(h("span", { class: "empty-cell", "aria-hidden": "true" }));
  const titleId = `card-${session.id.replace(/[^a-zA-Z0-9]/g, "")}`;
  return h(
    "article",
    { class: "session-card", "aria-labelledby": titleId, dataset: { sessionId: session.id } },
    h("div", { class: "grid9", "aria-hidden": "true" }, cells),
    h(
      "h3",
      { id: titleId },
      h("a", { href: `#/session/${encodeURIComponent(session.id)}` }, session.label || "Untitled session"),
    ),
    h(
      "p",
      { class: "meta" },
      h("span", { class: "count" }, plural(session.assetCount, "image")),
      " · ",
      h("span", { class: "when" }, timeRange(session.startedAt, session.endedAt)),
    ),
    h("p", { class: "intent" }, h("span", { class: "chip" }, session.intent), " ", h("span", { class: "tool" }, session.tool)),
    session.summary ? h("p", { class: "summary", "aria-label": "Reflection summary" }, session.summary) : null,
  );
}

function appendPage(list, connection) {
  for (const edge of connection.edges) list.append(h("li", {}, sessionCard(edge.node)));
}

/** A "Show more" button that also fires when it scrolls into view (infinite scroll, keyboard-usable). */
export function pager(label, load) {
  let busy = false;
  const button = h("button", { type: "button", class: "more" }, label);
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) button.click();
  });
  button.addEventListener("click", async () => {
    if (busy) return;
    busy = true;
    button.disabled = true;
    button.textContent = "Loading…";
    try {
      const more = await load();
      if (!more) {
        observer.disconnect();
        button.remove();
        return;
      }
    } finally {
      busy = false;
      button.disabled = false;
      button.textContent = label;
    }
  });
  queueMicrotask(() => observer.observe(button));
  return button;
}

let prefetched = null;

/** Ask for the first cards now (during sign-in: one round trip less before they show). */
export function prefetchSessions(api) {
  prefetched = api.request(GROUPS, { first: CARDS_PER_PAGE }, { checkingToken: true });
  prefetched.catch(() => {}); // a refused token is the sign-in's to report
}

function firstPage(api) {
  const early = prefetched;
  prefetched = null;
  const fresh = () => api.request(GROUPS, { first: CARDS_PER_PAGE });
  return early ? early.catch(fresh) : fresh();
}

export async function renderSessions({ api, view }) {
  replaceChildren(view, h("p", { class: "loading" }, "Loading sessions…"));
  const data = await firstPage(api);
  const groups = data.viewer.sessionGroups;
  const sections = [];
  for (const group of groups) {
    if (group.sessionCount === 0) continue;
    const headingId = `group-${group.period}`;
    const list = h("ol", { class: "cards" });
    appendPage(list, group.sessions);
    let pageInfo = group.sessions.pageInfo;
    const section = h(
      "section",
      { class: "period", "aria-labelledby": headingId, dataset: { period: group.period } },
      h("h2", { id: headingId }, group.title, " ", h("span", { class: "badge" }, plural(group.sessionCount, "session"))),
      list,
    );
    if (pageInfo.hasNextPage) {
      section.append(
        pager(`More from ${group.title.toLowerCase()}`, async () => {
          const next = await api.request(MORE, { period: group.period, first: CARDS_PER_PAGE, after: pageInfo.endCursor });
          const connection = next.viewer.sessionGroups[0].sessions;
          appendPage(list, connection);
          pageInfo = connection.pageInfo;
          return pageInfo.hasNextPage;
        }),
      );
    }
    sections.push(section);
  }
  replaceChildren(
    view,
    h("h2", { class: "visually-hidden" }, "Sessions"),
    sections.length ? sections : h("p", { class: "empty" }, "No sessions yet: import some images (`atelier import`)."),
  );
  performance.mark("atelier:first-cards"); // with atelier:sign-in-submitted: the time to first cards
}
