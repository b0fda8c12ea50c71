// The app shell: token handling, the hash router (#/sessions, #/lanes, #/session/<id>, #/corrections,
// #/search?q=…) and the header. Each view lives in its own module and draws into <main id="view">.

import { Api, ApiError } from "./api.js";
import { announce, replaceChildren } from "./dom.js";
import { useTimeZone } from "./format.js";
import { prefetchSessions, renderSessions } from "./sessions.js";
import { clearToken, readToken, renderSignIn, signInWith } from "./signin.js";

const api = new Api(readToken);
const view = document.getElementById("view");
const header = document.querySelector("header.top");
let viewer = null;

api.onUnauthenticated = () => {
  clearToken();
  viewer = null;
  showSignIn("Your token is no longer valid (revoked or expired). Sign in again.");
};

/** Refresh the credit balance in the header (also called after a reflection). */
export async function refreshCredits() {
  const node = document.getElementById("credit-balance");
  try {
    const data = await api.request("query Credits { viewer { credits { available held } } }");
    node.textContent = `${data.viewer.credits.available} credits`;
  } catch (error) {
    node.textContent = "credits unavailable";
  }
}

function showSignIn(message = "") {
  header.hidden = true;
  renderSignIn(view, message, async (token) => {
    const wantsSessions = !location.hash || ["#/", "#/signin", "#/sessions"].includes(location.hash);
    viewer = await signInWith(api, token, () => wantsSessions && prefetchSessions(api));
    await start();
  });
}

async function start() {
  header.hidden = false;
  useTimeZone(viewer.timezone);
  document.getElementById("viewer-handle").textContent = viewer.handle;
  refreshCredits();
  if (!location.hash || location.hash === "#/" || location.hash === "#/signin") location.hash = "#/sessions";
  else route();
}

let navigation = 0;
let drawing = Promise.resolve();

/**
 * Draw the view of the current hash. Views draw one at a time, in the order of navigation, and one
 * superseded before its turn is skipped: a slower view (the sessions list, waiting for its data) must
 * never land over a newer one (the session reached by Back, Back), whichever request answers last.
 */
function route() {
  const mine = ++navigation;
  // caught here too, so that one failed draw never stops the ones after it
  drawing = drawing.then(() => (mine === navigation ? drawRoute() : undefined)).catch(showError);
  return drawing;
}

async function drawRoute() {
  if (!viewer) return;
  const [path, queryString] = location.hash.slice(1).split("?");
  const parts = path.split("/").filter(Boolean);
  const params = new URLSearchParams(queryString || "");
  for (const link of document.querySelectorAll("nav [data-view]")) {
    const current = link.dataset.view === (parts[0] || "sessions");
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  announce("");
  const context = { api, viewer, view, refreshCredits, showError };
  try {
    switch (parts[0]) {
      case "lanes": {
        const { renderLanes } = await import("./lanes.js");
        await renderLanes(context);
        break;
      }
      case "session": {
        const { renderSessionDetail } = await import("./detail.js");
        await renderSessionDetail(context, decodeURIComponent(parts[1] || ""));
        break;
      }
      case "corrections": {
        const { renderCorrections } = await import("./corrections.js");
        await renderCorrections(context);
        break;
      }
      case "search": {
        const { renderSearch } = await import("./search.js");
        document.getElementById("search-input").value = params.get("q") || "";
        await renderSearch(context, params.get("q") || "");
        break;
      }
      default:
        await renderSessions(context);
    }
  } catch (error) {
    showError(error);
  }
}

export function showError(error) {
  const message = error instanceof ApiError ? error.friendly : String(error.message || error);
  announce(message, { error: true });
}

document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const text = document.getElementById("search-input").value.trim();
  if (text) location.hash = `#/search?q=${encodeURIComponent(text)}`;
});
document.getElementById("sign-out").addEventListener("click", () => {
  clearToken();
  viewer = null;
  location.hash = "#/signin";
  showSignIn("Signed out.");
});
window.addEventListener("hashchange", route);

async function boot() {
  const token = readToken();
  if (!token) return showSignIn();
  try {
    viewer = await signInWith(api, token);
    await start();
  } catch (error) {
    clearToken();
    showSignIn(
      error instanceof ApiError && error.code === "UNAUTHENTICATED"
        ? "Your token is no longer valid (revoked or expired). Sign in again."
        : error instanceof ApiError
          ? error.friendly
          : String(error),
    );
  }
}

replaceChildren(view);
boot();
