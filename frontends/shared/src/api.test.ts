import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, REFRESH_LOCK, ServiceUnavailableError, api, configureApi } from './api';

function json(status: number, body: unknown, type = 'application/json'): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });
}

const THREADS = '/api/messages/threads';
const REFRESH = '/api/auth/session/refresh';

function urls(fetch: ReturnType<typeof vi.fn>): string[] {
  return fetch.mock.calls.map((call) => (call as unknown as [string])[0]);
}

afterEach(async () => {
  document.cookie = 'mm-portal-csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  document.cookie = 'mm-backoffice-csrf=; expires=Thu, 01 Jan 1970 00:00:00 GMT';
  configureApi({ locks: null, refreshPath: REFRESH });
  // A finished refresh is forgotten on the next turn of the event loop: let it be, so that
  // each test starts with no refresh in flight.
  await new Promise((resolve) => setTimeout(resolve, 0));
});

describe('api', () => {
  it('sends the CSRF cookie as X-CSRF-Token on state-changing requests only', async () => {
    document.cookie = 'mm-portal-csrf=abc123';
    document.cookie = 'mm-backoffice-csrf=not-this-one';
    const fetch = vi.fn(async () => json(200, { ok: true }));
    configureApi({ fetch });
    await api.post('/api/messages/threads', { a: 1 }, { idempotencyKey: 'key-1' });
    await api.get('/api/messages/threads');
    const [, postInit] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const [, getInit] = fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect((postInit.headers as Record<string, string>)['X-CSRF-Token']).toBe('abc123');
    expect((postInit.headers as Record<string, string>)['Idempotency-Key']).toBe('key-1');
    expect((getInit.headers as Record<string, string>)['X-CSRF-Token']).toBeUndefined();
    expect((getInit.headers as Record<string, string>)['X-Mes-Messages-App']).toBe('portal');
  });

  it('sends JSON bodies as JSON and URLSearchParams form-encoded, with the query string', async () => {
    const fetch = vi.fn(async () => json(200, { thread_emails: false }));
    configureApi({ fetch });
    await api.put('/api/notifier/preferences', { thread_emails: false });
    await expect(
      api.post('/api/notifier/unsubscribe', new URLSearchParams({ 'List-Unsubscribe': 'One-Click' }), {
        query: { token: 'abc.DEF_-' },
        refreshOnUnauthorized: false,
      }),
    ).resolves.toEqual({ thread_emails: false });
    const [, putInit] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    const [url, postInit] = fetch.mock.calls[1] as unknown as [string, RequestInit];
    expect((putInit.headers as Record<string, string>)['Content-Type']).toBe('application/json');
    expect(putInit.body).toBe('{"thread_emails":false}');
    expect(url).toBe('/api/notifier/unsubscribe?token=abc.DEF_-');
    expect((postInit.headers as Record<string, string>)['Content-Type']).toBe('application/x-www-form-urlencoded;charset=UTF-8');
    expect(postInit.body).toBe('List-Unsubscribe=One-Click');
  });

  it('refreshes the session once on 401 and retries the request', async () => {
    const answers = [json(401, {}), json(200, { profile: {} }), json(200, { data: [] })];
    const fetch = vi.fn(async () => answers.shift()!);
    const onUnauthenticated = vi.fn();
    configureApi({ fetch, onUnauthenticated, refreshPath: '/api/auth/session/refresh' });
    await expect(api.get('/api/messages/threads')).resolves.toEqual({ data: [] });
    expect(fetch.mock.calls.map((call) => (call as unknown as [string])[0])).toEqual([
      '/api/messages/threads',
      '/api/auth/session/refresh',
      '/api/messages/threads',
    ]);
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('goes to the login page when the refresh fails too', async () => {
    const answers = [json(401, {}), json(401, {})];
    const fetch = vi.fn(async () => answers.shift()!);
    const onUnauthenticated = vi.fn();
    configureApi({ fetch, onUnauthenticated });
    await expect(api.get('/api/messages/threads')).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it('takes a 409 already-refreshed as refreshed: another tab just did it, the request is retried', async () => {
    const alreadyRefreshed = {
      type: 'https://mes-messages.msa.fr/problems/already-refreshed',
      status: 409,
      detail: "La session vient d'être renouvelée par un autre onglet : réessayez votre demande.",
    };
    const answers = [json(401, {}), json(409, alreadyRefreshed, 'application/problem+json'), json(200, { data: [1] })];
    const fetch = vi.fn(async () => answers.shift()!);
    const onUnauthenticated = vi.fn();
    configureApi({ fetch, onUnauthenticated, locks: null });
    await expect(api.get(THREADS)).resolves.toEqual({ data: [1] });
    expect(urls(fetch)).toEqual([THREADS, REFRESH, THREADS]);
    expect(onUnauthenticated).not.toHaveBeenCalled();
  });

  it('takes any other refusal of the refresh as the end of the session', async () => {
    const conflict = { type: 'https://mes-messages.msa.fr/problems/conflict', status: 409 };
    const answers = [json(401, {}), json(409, conflict, 'application/problem+json')];
    const fetch = vi.fn(async () => answers.shift()!);
    const onUnauthenticated = vi.fn();
    configureApi({ fetch, onUnauthenticated, locks: null });
    await expect(api.get(THREADS)).rejects.toBeInstanceOf(ApiError);
    expect(urls(fetch)).toEqual([THREADS, REFRESH]);
    expect(onUnauthenticated).toHaveBeenCalledOnce();
  });

  it('refreshes while holding the browser-wide lock, so that tabs refresh one at a time', async () => {
    let holding = false;
    const refreshedWhileHolding: boolean[] = [];
    const locks = {
      request: vi.fn(async (_name: string, callback: (lock: Lock | null) => unknown) => {
        holding = true;
        try {
          return await callback(null);
        } finally {
          holding = false;
        }
      }),
    };
    let expired = true;
    const fetch = vi.fn(async (url: string) => {
      if (url === REFRESH) {
        refreshedWhileHolding.push(holding);
        expired = false;
        return json(200, { profile: {} });
      }
      return expired ? json(401, {}) : json(200, { data: [] });
    });
    configureApi({ fetch: fetch as unknown as typeof globalThis.fetch, locks: locks as unknown as LockManager });
    // Two requests of this tab find the session expired at once: one refresh, in the lock.
    await Promise.all([api.get(THREADS), api.get('/api/messages/threads?page=2')]);
    expect(locks.request).toHaveBeenCalledOnce();
    expect(locks.request.mock.calls[0]![0]).toBe(REFRESH_LOCK);
    expect(refreshedWhileHolding).toEqual([true]);
    expect(holding).toBe(false);
  });

  it('turns a problem+json answer into an ApiError with the French detail and field errors', async () => {
    const problem = { type: 'https://mes-messages.msa.fr/problems/invalid-request', status: 422, detail: 'Votre message est trop court.', errors: [{ field: 'text', message: 'Trop court.' }] };
    configureApi({ fetch: vi.fn(async () => json(422, problem, 'application/problem+json')) });
    const error = (await api.post('/api/messages/messages/prepare', {}).catch((caught: unknown) => caught)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('Votre message est trop court.');
    expect(error.slug).toBe('invalid-request');
    expect(error.fieldErrors).toEqual([{ field: 'text', message: 'Trop court.' }]);
  });

  it('reports a stopped service (gateway 502, network error) as unavailable', async () => {
    configureApi({ fetch: vi.fn(async () => new Response('', { status: 502 })) });
    await expect(api.post('/api/messages/threads', {})).rejects.toBeInstanceOf(ServiceUnavailableError);
    configureApi({ fetch: vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) });
    await expect(api.post('/api/messages/threads', {})).rejects.toBeInstanceOf(ServiceUnavailableError);
  });
});
