/**
 * The one way the pages talk to the APIs behind the gateway (`/api/<service>/...`).
 *
 * - Cookies carry the session (HttpOnly access tokens, one per API, of this web app); every
 *   request says which web app it comes from (`X-Mes-Messages-App`), and every state-changing
 *   one sends the CSRF token (the app's readable `mm-<app>-csrf` cookie) in `X-CSRF-Token`.
 * - On 401 the session is refreshed once (the refresh token is an HttpOnly cookie scoped to
 *   /api/auth/) and the request retried; if that fails the page goes to its login screen.
 *   One refresh at a time per tab, and per browser where `navigator.locks` exists; a 409
 *   `already-refreshed` (another tab refreshed with the same cookie a moment ago, and the
 *   browser holds the new cookies) counts as refreshed.
 * - Bodies are sent as JSON, except a `URLSearchParams`, sent form-encoded.
 * - Errors come back as `ApiError` with the problem+json body (`detail` in French, `errors`
 *   per field), or as `ServiceUnavailableError` when the service cannot be reached.
 */

import { APP_HEADER, CSRF_HEADER, type WebApp, readCsrfToken } from './cookies';

export interface FieldError {
  field: string;
  message: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail || problem.title || `Erreur ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.problem = problem;
  }

  /** The last part of the problem type, e.g. "idempotency-conflict". */
  get slug(): string {
    return (this.problem.type ?? '').split('/').pop() ?? '';
  }

  get fieldErrors(): FieldError[] {
    return Array.isArray(this.problem.errors) ? this.problem.errors : [];
  }
}

export const UNAVAILABLE_MESSAGE =
  'Le service est momentanément indisponible. Réessayez dans quelques instants.';

/** The service did not answer (stopped, restarting, network down): nothing was done. */
export class ServiceUnavailableError extends Error {
  constructor(message: string = UNAVAILABLE_MESSAGE) {
    super(message);
    this.name = 'ServiceUnavailableError';
  }
}

export interface ApiConfig {
  /** The web app: its cookies hold the session (the portal's and the back office's differ). */
  app: WebApp;
  /** Where the session is refreshed; null disables refreshing. */
  refreshPath: string | null;
  /** Called once a request is refused for want of a session (refresh failed too). */
  onUnauthenticated: () => void;
  fetch: typeof fetch;
  /** The browser's locks (`navigator.locks`), shared by its tabs; null where there are none. */
  locks: Pick<LockManager, 'request'> | null;
}

const config: ApiConfig = {
  app: 'portal',
  refreshPath: '/api/auth/session/refresh',
  onUnauthenticated: () => undefined,
  fetch: (...args) => globalThis.fetch(...args),
  locks: globalThis.navigator?.locks ?? null,
};

/** The name of the lock every tab of the browser takes to refresh the session. */
export const REFRESH_LOCK = 'mes-messages-session-refresh';

export function configureApi(changes: Partial<ApiConfig>): void {
  Object.assign(config, changes);
}

/** What a request of this web app carries besides its cookies: the app's name, and the CSRF
 * token for a state change. For the requests made without `api` (file uploads). */
export function sessionHeaders(method: string): Record<string, string> {
  const headers: Record<string, string> = { [APP_HEADER]: config.app };
  if (method !== 'GET') {
    const csrf = readCsrfToken(config.app);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  return headers;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  query?: Record<string, string | number | boolean | null | undefined>;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** False for the calls that establish the session (login): a 401 is their answer. */
  refreshOnUnauthorized?: boolean;
}

let refreshing: Promise<boolean> | null = null;

async function refreshOnce(path: string): Promise<boolean> {
  const response = await send(path, { method: 'POST' });
  if (response.ok) return true;
  if (response.status === 409) {
    // Another tab refreshed with the same cookie a moment ago: its answer set the new
    // cookies in this browser too, and nothing was revoked. Retrying the request is enough.
    const problem = (await parse(response)) as Problem | null;
    return (problem?.type ?? '').endsWith('/already-refreshed');
  }
  return false;
}

/** Run `refresh` while holding the browser-wide refresh lock, when the browser has locks. */
async function oneTabAtATime(refresh: () => Promise<boolean>): Promise<boolean> {
  if (!config.locks) return refresh();
  return await config.locks.request(REFRESH_LOCK, refresh);
}

async function refreshSession(): Promise<boolean> {
  const path = config.refreshPath;
  if (!path) return false;
  refreshing ??= (async () => {
    try {
      return await oneTabAtATime(() => refreshOnce(path));
    } catch {
      return false;
    } finally {
      // Let the next expiry refresh again.
      setTimeout(() => {
        refreshing = null;
      }, 0);
    }
  })();
  return refreshing;
}

function withQuery(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}${path.includes('?') ? '&' : '?'}${text}` : path;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
    ...sessionHeaders(method),
    ...options.headers,
  };
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let body: BodyInit | undefined;
  if (options.body instanceof URLSearchParams) {
    // A form, for the endpoints that take what mail providers send (one-click unsubscribe).
    headers['Content-Type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
    body = options.body.toString();
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  return config.fetch(withQuery(path, options.query), {
    method,
    headers,
    body,
    credentials: 'same-origin',
    cache: 'no-store',
    signal: options.signal,
  });
}

async function parse(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 304) return null;
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function isProblemResponse(response: Response): boolean {
  const type = response.headers.get('content-type') ?? '';
  return type.includes('json');
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let response: Response;
  try {
    response = await send(path, options);
  } catch (error) {
    if ((error as Error)?.name === 'AbortError') throw error;
    throw new ServiceUnavailableError();
  }
  if (response.status === 401 && options.refreshOnUnauthorized !== false) {
    if (await refreshSession()) {
      try {
        response = await send(path, options);
      } catch {
        throw new ServiceUnavailableError();
      }
    }
    if (response.status === 401) {
      const problem = (await parse(response)) as Problem | null;
      config.onUnauthenticated();
      throw new ApiError(401, problem && typeof problem === 'object' ? problem : {});
    }
  }
  if ([502, 503, 504].includes(response.status) && !isProblemResponse(response)) {
    // The gateway answered for a service that is down.
    throw new ServiceUnavailableError();
  }
  const payload = await parse(response);
  if (!response.ok) {
    const problem: Problem =
      payload && typeof payload === 'object'
        ? (payload as Problem)
        : { status: response.status, detail: typeof payload === 'string' ? payload : undefined };
    if (response.status === 503) {
      throw new ServiceUnavailableError(problem.detail || UNAVAILABLE_MESSAGE);
    }
    throw new ApiError(response.status, problem);
  }
  return payload as T;
}

export const api = {
  get: <T>(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'GET' }),
  post: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'POST', body }),
  put: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'PUT', body }),
  patch: <T>(path: string, body?: unknown, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'PATCH', body }),
  delete: <T>(path: string, options: Omit<RequestOptions, 'method' | 'body'> = {}) =>
    request<T>(path, { ...options, method: 'DELETE' }),
};

/** A French sentence for any error a request may throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    // A missing or stale session says so; any other refusal (a wrong password, say) has its own words.
    if (error.status === 401 && (error.problem.type?.endsWith('/unauthenticated') || !error.problem.detail)) {
      return 'Votre session a expiré : reconnectez-vous.';
    }
    if (error.status === 404) return error.problem.detail || "Cette page n'existe pas ou n'est plus disponible.";
    return error.problem.detail || error.problem.title || 'Une erreur est survenue. Réessayez.';
  }
  if (error instanceof ServiceUnavailableError) return error.message;
  return 'Une erreur inattendue est survenue. Réessayez dans quelques instants.';
}
