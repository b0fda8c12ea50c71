// Sign-in with an API token. The token is kept in sessionStorage (this tab only, gone when it closes)
// and checked with `viewer { handle }` before it is stored.

import { ApiError } from "./api.js";
import { h, replaceChildren } from "./dom.js";

const KEY = "atelier.token";

export function readToken() {
  return sessionStorage.getItem(KEY);
}

export function clearToken() {
  sessionStorage.removeItem(KEY);
}

/**
 * Check `token` against the API; store it and return the viewer, or throw an ApiError.
 * `alongside()` runs once the token is stored, while the check is in flight (a prefetch).
 */
export async function signInWith(api, token, alongside = () => {}) {
  const previous = readToken();
  sessionStorage.setItem(KEY, token);
  try {
    const check = api.request("query SignIn { viewer { id handle timezone } }", {}, { checkingToken: true });
    alongside();
    const data = await check;
    return data.viewer;
  } catch (error) {
    if (previous && previous !== token) sessionStorage.setItem(KEY, previous);
    else clearToken();
    throw error;
  }
}

/** Draw the sign-in form; `onToken(token)` signs in (and throws on a bad token). */
export function renderSignIn(view, message, onToken) {
  const error = h("p", { id: "signin-error", class: "form-error", role: "alert", hidden: !message }, message);
  const input = h("input", {
    id: "token",
    name: "token",
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "aria-describedby": "token-help signin-error",
  });
  const button = h("button", { type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "signin card-panel",
      "aria-labelledby": "signin-title",
      onsubmit: async (event) => {
        event.preventDefault();
        const token = input.value.trim();
        if (!token) return;
        performance.mark("atelier:sign-in-submitted");
        button.disabled = true;
        error.hidden = true;
        try {
          await onToken(token);
        } catch (failure) {
          error.textContent =
            failure instanceof ApiError && failure.code === "UNAUTHENTICATED"
              ? "That token was not accepted: it is wrong, revoked or expired. Check it and try again."
              : failure instanceof ApiError
                ? failure.friendly
                : String(failure);
          error.hidden = false;
          input.setAttribute("aria-invalid", "true");
          input.focus();
        } finally {
          button.disabled = false;
        }
      },
    },
    h("h2", { id: "signin-title" }, "Sign in to Atelier"),
    h("label", { for: "token" }, "API token"),
    input,
    h(
      "p",
      { id: "token-help", class: "help" },
      "Paste a token from `atelier token create <you>`; after `make run` the demo token is printed in the " +
        "banner and kept in ATELIER_HOME/demo-token. It stays in this tab only.",
    ),
    error,
    button,
  );
  replaceChildren(view, form);
  input.focus();
}
