// The GraphQL client: one POST per request to /graphql with the artist's token, and subscriptions over
// graphql-transport-ws on the same path (the token goes in connection_init's payload, since a browser
// cannot set headers on a WebSocket). Uses only the public API.

const ENDPOINT = "/graphql";

/** An error the API answered (or the network failed with); `code` is the GraphQL error code. */
export class ApiError extends Error {
  constructor(message, code = "ERROR", status = 0) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }

  /** A sentence for the artist, naming the limit when the server refused the request's cost or rate. */
  get friendly() {
    switch (this.code) {
      case "UNAUTHENTICATED":
        return "This token is not valid (wrong, revoked or expired). Sign in with another one.";
      case "FORBIDDEN":
        return `This token may not do that: ${this.message}`;
      case "QUERY_TOO_COSTLY":
        return `The server refused this request as too costly (QUERY_TOO_COSTLY): ${this.message}`;
      case "RATE_LIMITED":
        return `Too many requests (RATE_LIMITED): ${this.message} Wait a moment and try again.`;
      case "NETWORK":
        return `The server cannot be reached: ${this.message}`;
      default:
        return this.message;
    }
  }
}

export class Api {
  /** @param {() => string | null} tokenSource where the current token is read from */
  constructor(tokenSource) {
    this.tokenSource = tokenSource;
    this.onUnauthenticated = () => {};
  }

  /**
   * Run a query or mutation; resolves to `data`, rejects with an ApiError (the first error).
   * `checkingToken`: a sign-in attempt, whose refusal is the caller's to show (no sign-out).
   */
  async request(query, variables = {}, { checkingToken = false } = {}) {
    const token = this.tokenSource();
    let response;
    try {
      response = await fetch(ENDPOINT, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/graphql-response+json, application/json",
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
    } catch (error) {
      throw new ApiError(String(error.message || error), "NETWORK");
    }
    let body = null;
    try {
      body = await response.json();
    } catch {
      const code = response.status === 429 ? "RATE_LIMITED" : "HTTP";
      throw new ApiError(`HTTP ${response.status} without a GraphQL answer.`, code, response.status);
    }
    const errors = body && body.errors;
    if (errors && errors.length) {
      const first = errors[0];
      const code = (first.extensions && first.extensions.code) || (response.status === 429 ? "RATE_LIMITED" : "ERROR");
      const error = new ApiError(first.message, code, response.status);
      if (code === "UNAUTHENTICATED" && !checkingToken) this.onUnauthenticated(error);
      throw error;
    }
    if (!response.ok || !body || !body.data) {
      throw new ApiError(`HTTP ${response.status}`, response.status === 429 ? "RATE_LIMITED" : "HTTP", response.status);
    }
    return body.data;
  }

  /**
   * Subscribe over graphql-transport-ws. `onNext(data)` for each result; resolves when the server
   * completes; rejects with an ApiError on an error. Returns {done: Promise, close()}.
   */
  subscribe(query, variables, onNext) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${ENDPOINT}`, "graphql-transport-ws");
    const token = this.tokenSource();
    let settle;
    const done = new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
    let finished = false;
    const finish = (error) => {
      if (finished) return;
      finished = true;
      if (error) settle.reject(error);
      else settle.resolve();
      if (socket.readyState === WebSocket.OPEN) socket.close(1000);
    };
    socket.addEventListener("open", () => {
      socket.send(
        JSON.stringify({ type: "connection_init", payload: token ? { Authorization: `Bearer ${token}` } : {} }),
      );
    });
    socket.addEventListener("message", (event) => {
      const message = JSON.parse(event.data);
      if (message.type === "connection_ack") {
        socket.send(JSON.stringify({ id: "1", type: "subscribe", payload: { query, variables } }));
      } else if (message.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      } else if (message.type === "next") {
        const errors = message.payload.errors;
        if (errors && errors.length) {
          const code = (errors[0].extensions && errors[0].extensions.code) || "ERROR";
          finish(new ApiError(errors[0].message, code));
        } else {
          onNext(message.payload.data);
        }
      } else if (message.type === "error") {
        const first = (message.payload && message.payload[0]) || {};
        finish(new ApiError(first.message || "subscription refused", (first.extensions || {}).code || "ERROR"));
      } else if (message.type === "complete") {
        finish();
      }
    });
    socket.addEventListener("error", () => finish(new ApiError("the live connection failed", "NETWORK")));
    socket.addEventListener("close", (event) => {
      if (!finished) finish(new ApiError(`the live connection closed (${event.code} ${event.reason})`, "NETWORK"));
    });
    return { done, close: () => finish() };
  }
}
