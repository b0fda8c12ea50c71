// Runs graphql-http's server audit (the GraphQL-over-HTTP conformance suite) against one URL and
// prints the results as JSON: [{"id", "name", "status": "ok"|"warn"|"error", "reason"}].
// Usage: node graphql_http_audit.mjs <url>   (GRAPHQL_HTTP_TOKEN, if set, is sent as a bearer token;
// graphql-http itself is resolved from NODE_PATH, so it is installed outside the repository.)
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_PATH ?? process.cwd(), "noop.js"));
const { auditServer } = require("graphql-http");

const url = process.argv[2];
const token = process.env.GRAPHQL_HTTP_TOKEN;

function fetchWithToken(input, init = {}) {
  const headers = new Headers(init.headers ?? {});
  if (token) headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const results = await auditServer({ url, fetchFn: fetchWithToken });
const summary = [];
for (const result of results) {
  summary.push({
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.status === "ok" ? null : result.reason,
    httpStatus: result.response?.status ?? null,
  });
}
process.stdout.write(JSON.stringify(summary));
