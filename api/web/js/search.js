// Search over the semantic search (`viewer.search`): the best sessions as cards and the best images.

import { h, replaceChildren } from "./dom.js";
import { sessionCard } from "./sessions.js";

const SEARCH = `
  query Search($text: String!) { viewer { search(text: $text, first: 12) {
    mode fallbackReason
    sessions { score session { id label intent assetCount startedAt endedAt tool summary thumbnails(first: 9) { assetId url } } }
    assets { score asset { id fileName promptPreview thumbnailUrl } } } } }`;

export async function renderSearch({ api, view }, text) {
  if (!text) {
    replaceChildren(view, h("p", { class: "empty" }, "Type what you are looking for in the search box."));
    return;
  }
  replaceChildren(view, h("p", { class: "loading" }, `Searching for “${text}”…`));
  const result = (await api.request(SEARCH, { text })).viewer.search;
  replaceChildren(
    view,
    h("h2", {}, `Results for “${text}”`),
    h("p", { class: "meta" }, result.mode === "SEMANTIC" ? "By meaning." : `By words (${result.fallbackReason || "embeddings unavailable"}).`),
    h("h3", {}, "Sessions"),
    result.sessions.length
      ? h("ol", { class: "cards" }, result.sessions.map((hit) => h("li", {}, sessionCard(hit.session))))
      : h("p", { class: "empty" }, "No sessions match."),
    h("h3", {}, "Images"),
    result.assets.length
      ? h(
          "ol",
          { class: "hits" },
          result.assets.map((hit) =>
            h("li", {}, hit.asset.thumbnailUrl ? h("img", { src: hit.asset.thumbnailUrl, alt: "", width: 96, height: 96, loading: "lazy" }) : null, h("p", {}, hit.asset.promptPreview || hit.asset.fileName || "")),
          ),
        )
      : h("p", { class: "empty" }, "No images match."),
  );
}
