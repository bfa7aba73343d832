/**
 * Cookies the page may read: its web app's CSRF token. The access tokens (one per API) and the
 * refresh token are HttpOnly and never visible.
 *
 * Each web app has its own cookies, so that the portal's session and the back office's live
 * side by side: `__Host-mm-<app>-csrf` over HTTPS, `mm-<app>-csrf` on plain http://localhost
 * (where a browser would not keep a `__Host-` cookie set over HTTP).
 */
export type WebApp = 'portal' | 'backoffice';
export const CSRF_HEADER = 'X-CSRF-Token';
/** Tells the APIs which web app a request comes from: its cookies are the ones they read. */
export const APP_HEADER = 'X-Mes-Messages-App';

export function csrfCookieNames(app: WebApp): string[] {
  return [`__Host-mm-${app}-csrf`, `mm-${app}-csrf`];
}

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

/** The web app's CSRF token, or null before a session (or after it ended). */
export function readCsrfToken(app: WebApp, cookies: string = document.cookie): string | null {
  for (const name of csrfCookieNames(app)) {
    const value = readCookie(name, cookies);
    if (value) return value;
  }
  return null;
}
