// The API client, typed from the OpenAPI schema (`npm run gen:api` writes schema.d.ts from the
// backend's `zapflow openapi`): a field renamed in the API breaks the build, not the panel.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export const TIMEOUT_MS = 20_000;

let language = "pt-BR";
export function setApiLanguage(value: string) {
  language = value;
}

function csrfToken(): string | undefined {
  const match = document.cookie.match(/(?:^|;\s*)zapflow_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : undefined;
}

const headers: Middleware = {
  onRequest({ request }) {
    request.headers.set("Accept-Language", language);
    if (request.method !== "GET") {
      const token = csrfToken();
      if (token) request.headers.set("X-CSRF-Token", token);
    }
    return request;
  },
};

// No request may hang the page: each one gives up after TIMEOUT_MS.
function fetchWithTimeout(input: Request): Promise<Response> {
  return fetch(input, { signal: AbortSignal.timeout(TIMEOUT_MS), credentials: "same-origin" });
}

export const api = createClient<paths>({ baseUrl: "", fetch: fetchWithTimeout });
api.use(headers);

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

// Unwraps an openapi-fetch result: the data, or an ApiError with the server's sentence.
export async function must<T>(call: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await call;
  } catch (error) {
    const timedOut = error instanceof DOMException && error.name === "TimeoutError";
    throw new ApiError(timedOut ? "timeout" : "network", 0);
  }
  if (outcome.error !== undefined || !outcome.response.ok) {
    const body = outcome.error as { detail?: unknown } | undefined;
    const detail = typeof body?.detail === "string" ? body.detail : `HTTP ${outcome.response.status}`;
    throw new ApiError(detail, outcome.response.status);
  }
  return outcome.data as T;
}

// Multipart uploads (openapi-fetch sends JSON): same headers, same timeout, same errors.
export async function upload<T>(path: string, form: FormData): Promise<T> {
  const request = new Request(path, { method: "POST", body: form });
  request.headers.set("Accept-Language", language);
  const token = csrfToken();
  if (token) request.headers.set("X-CSRF-Token", token);
  let response: Response;
  try {
    response = await fetchWithTimeout(request);
  } catch {
    throw new ApiError("network", 0);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(body.detail ?? `HTTP ${response.status}`, response.status);
  return body as T;
}
