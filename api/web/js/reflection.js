// The reflection flow: "Reflect on this session" (only on sessions with enough images) → the quote
// (cost, balance, expiry) → confirm (a fresh idempotency key per click) → progress while the Curator
// works (the `reflectionUpdated` subscription; polling if the live connection fails) → the reflection.
// Too few credits opens a dialog offering the credit packs.

import { h, announce } from "./dom.js";
import { money, plural, when } from "./format.js";

const REFLECTION = `id state title summary stylePatterns evolutionNotes model cost charged createdAt completedAt failureReason`;

const QUOTE = `
  mutation Quote($sessionId: ID!) { quote: quoteReflection(sessionId: $sessionId) {
    __typename
    ... on ReflectionQuote { id cost expiresAt available model }
    ... on BelowReflectionThreshold { message assetCount requiredAssets }
    ... on NotFound { message } } }`;

const CONFIRM = `
  mutation Confirm($quoteId: ID!, $key: String!) { confirmed: confirmReflection(quoteId: $quoteId, idempotencyKey: $key) {
    __typename
    ... on ReflectionStarted { reflection { ${REFLECTION} } }
    ... on InsufficientCredits { message required available }
    ... on QuoteExpired { message } ... on QuoteStale { message } ... on BelowReflectionThreshold { message }
    ... on IdempotencyKeyReused { message } ... on NotFound { message } } }`;

const FOLLOW = `subscription Follow($id: ID!) { reflectionUpdated(id: $id) { ${REFLECTION} } }`;
const POLL = `query Poll($id: ID!) { reflection(id: $id) { ${REFLECTION} } }`;
const PACKS = `query Packs { creditPacks { id name credits priceCents currency } viewer { credits { available } } }`;
const BUY = `
  mutation Buy($packId: ID!) { purchase: startCreditPurchase(packId: $packId) {
    __typename ... on CreditCheckout { checkoutUrl } ... on PaymentsNotConfigured { message } ... on NotFound { message } } }`;

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  return [...crypto.getRandomValues(new Uint8Array(16))].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A modal <dialog> that is removed when closed; focus goes back to `opener` (the button that opened it). */
function modal(opener, titleText, ...content) {
  const titleId = `dialog-${Math.random().toString(36).slice(2)}`;
  const dialog = h("dialog", { "aria-labelledby": titleId, class: "dialog" }, h("h2", { id: titleId }, titleText), ...content);
  dialog.addEventListener("close", () => {
    dialog.remove();
    if (opener && opener.focus) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

export function renderReflection(reflection) {
  return h(
    "article",
    { class: "reflection", "aria-labelledby": `reflection-${reflection.id.replace(/[^a-zA-Z0-9]/g, "")}` },
    h("h3", { id: `reflection-${reflection.id.replace(/[^a-zA-Z0-9]/g, "")}` }, reflection.title || "Reflection"),
    h("p", { class: "summary" }, reflection.summary || ""),
    reflection.stylePatterns.length ? [h("h4", {}, "Style patterns"), h("ul", {}, reflection.stylePatterns.map((text) => h("li", {}, text)))] : null,
    reflection.evolutionNotes.length ? [h("h4", {}, "How it evolved"), h("ol", {}, reflection.evolutionNotes.map((text) => h("li", {}, text)))] : null,
    h("p", { class: "meta" }, `By ${reflection.model || "the Curator"} · ${plural(reflection.charged ?? reflection.cost, "credit")} · ${when(reflection.completedAt)}`),
  );
}

/** The insufficient-credits dialog, offering the credit packs. */
export async function insufficientCredits(context, required, available, opener = document.activeElement) {
  const list = h("ul", { class: "packs" }, h("li", {}, "Loading credit packs…"));
  const note = h("p", { class: "form-error", role: "alert", hidden: true });
  const close = h("button", { type: "button", class: "secondary" }, "Close");
  const dialog = modal(
    opener,
    "Not enough credits",
    h("p", {}, `This reflection costs ${plural(required, "credit")}; you have ${plural(available, "credit")} available.`),
    h("p", {}, "Buy a credit pack to continue:"),
    list,
    note,
    h("div", { class: "dialog-actions" }, close),
  );
  dialog.classList.add("insufficient-credits");
  close.addEventListener("click", () => dialog.close());
  try {
    const data = await context.api.request(PACKS);
    list.replaceChildren(
      ...data.creditPacks.map((pack) => {
        const buy = h("button", { type: "button" }, `Buy ${pack.name}: ${plural(pack.credits, "credit")} for ${money(pack.priceCents, pack.currency)}`);
        buy.addEventListener("click", async () => {
          buy.disabled = true;
          try {
            const result = (await context.api.request(BUY, { packId: pack.id })).purchase;
            if (result.__typename === "CreditCheckout") location.assign(result.checkoutUrl);
            else {
              note.textContent = result.message;
              note.hidden = false;
            }
          } catch (error) {
            note.textContent = error.friendly || String(error);
            note.hidden = false;
          } finally {
            buy.disabled = false;
          }
        });
        return h("li", {}, buy);
      }),
    );
    if (!data.creditPacks.length) list.replaceChildren(h("li", {}, "No credit packs are on sale on this server."));
  } catch (error) {
    list.replaceChildren(h("li", {}, error.friendly || String(error)));
  }
  return dialog;
}

/** Follow a reflection until DONE or FAILED, calling `onUpdate` for each state. */
async function follow(context, reflection, onUpdate) {
  onUpdate(reflection);
  if (reflection.state === "DONE" || reflection.state === "FAILED") return reflection;
  let latest = reflection;
  try {
    const subscription = context.api.subscribe(FOLLOW, { id: reflection.id }, (data) => {
      if (data.reflectionUpdated) {
        latest = data.reflectionUpdated;
        onUpdate(latest);
      }
    });
    await subscription.done;
  } catch {
    // the live connection failed: poll instead
  }
  while (latest.state !== "DONE" && latest.state !== "FAILED") {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    latest = (await context.api.request(POLL, { id: reflection.id })).reflection;
    onUpdate(latest);
  }
  return latest;
}

/** The reflection area of a session's detail view. */
export function reflectionPanel(context, session) {
  const body = h("div", { class: "reflection-body", "aria-live": "polite" });
  const panel = h("section", { class: "reflection-panel", "aria-labelledby": "reflection-title" }, h("h3", { id: "reflection-title", class: "visually-hidden" }, "Reflection"), body);

  const showProgress = (reflection) => {
    if (reflection.state === "DONE") {
      body.replaceChildren(renderReflection(reflection));
      announce("The Curator's reflection is ready.");
      context.refreshCredits();
    } else if (reflection.state === "FAILED") {
      body.replaceChildren(h("p", { class: "form-error", role: "alert" }, `The reflection failed: ${reflection.failureReason || "unknown reason"}. No credits were charged.`), button());
      context.refreshCredits();
    } else {
      body.replaceChildren(
        h(
          "div",
          { class: "progress", dataset: { state: reflection.state } },
          h("label", { for: "reflection-progress" }, reflection.state === "QUEUED" ? "Waiting for the Curator…" : "The Curator is writing…"),
          h("progress", { id: "reflection-progress", "aria-describedby": "reflection-state" }),
          h("span", { id: "reflection-state", class: "meta" }, ` ${reflection.state.toLowerCase()}`),
        ),
      );
    }
  };

  const start = async (trigger) => {
    trigger.disabled = true;
    try {
      const quote = (await context.api.request(QUOTE, { sessionId: session.id })).quote;
      if (quote.__typename !== "ReflectionQuote") {
        announce(quote.message, { error: true });
        return;
      }
      if (quote.available < quote.cost) {
        await insufficientCredits(context, quote.cost, quote.available, trigger);
        return;
      }
      const confirm = h("button", { type: "button", class: "primary" }, `Confirm: spend ${plural(quote.cost, "credit")}`);
      const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
      const dialog = modal(
        trigger,
        "Reflect on this session",
        h("p", {}, `The Curator (${quote.model}) will write a reflection on “${session.label}” (${plural(session.assetCount, "image")}).`),
        h(
          "dl",
          { class: "quote" },
          h("dt", {}, "Cost"),
          h("dd", { class: "quote-cost" }, plural(quote.cost, "credit")),
          h("dt", {}, "Your balance"),
          h("dd", { class: "quote-available" }, `${plural(quote.available, "credit")} available`),
          h("dt", {}, "Quote valid until"),
          h("dd", {}, when(quote.expiresAt)),
        ),
        h("p", { class: "help" }, "Credits are held now and charged only when the reflection is delivered."),
        h("div", { class: "dialog-actions" }, cancel, confirm),
      );
      dialog.classList.add("quote-dialog");
      cancel.addEventListener("click", () => dialog.close());
      confirm.focus();
      confirm.addEventListener("click", async () => {
        confirm.disabled = true;
        try {
          const result = (await context.api.request(CONFIRM, { quoteId: quote.id, key: newKey() })).confirmed;
          dialog.close();
          if (result.__typename === "ReflectionStarted") {
            context.refreshCredits();
            await follow(context, result.reflection, showProgress);
          } else if (result.__typename === "InsufficientCredits") {
            await insufficientCredits(context, result.required, result.available, trigger);
          } else {
            announce(result.message, { error: true });
          }
        } catch (error) {
          confirm.disabled = false;
          context.showError(error);
        }
      });
    } catch (error) {
      context.showError(error);
    } finally {
      trigger.disabled = false;
    }
  };

  const button = () => {
    const trigger = h("button", { type: "button", class: "primary reflect" }, "Reflect on this session");
    trigger.addEventListener("click", () => start(trigger));
    return trigger;
  };

  const eligibility = session.reflectionEligibility;
  const reflection = session.reflection;
  if (reflection && reflection.state === "DONE") {
    body.append(renderReflection(reflection));
    if (eligibility.eligible) body.append(button());
  } else if (reflection && (reflection.state === "QUEUED" || reflection.state === "RUNNING")) {
    follow(context, reflection, showProgress).catch((error) => context.showError(error));
  } else if (eligibility.eligible) {
    body.append(button());
  } else {
    body.append(h("p", { class: "help" }, `Reflections need at least ${eligibility.requiredAssets} images; this session has ${eligibility.assetCount}.`));
  }
  return panel;
}
