// End-to-end tests of the local FranceConnect-like provider, driven with plain
// HTTP (global fetch) and manual cookie handling.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

const HERE = dirname(fileURLToPath(import.meta.url));
const SERVER = join(HERE, '..', 'server.js');

const CLIENT_ID = 'mes-messages-test';
const CLIENT_SECRET = 'test-secret-not-for-production';
const REDIRECT_URI = 'http://localhost:8080/api/auth/franceconnect/callback';
const POST_LOGOUT_URI = 'http://localhost:8080/';
const SCOPE = 'openid given_name family_name birthdate gender birthplace birthcountry email';

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

const children = new Set();
process.on('exit', () => {
  for (const child of children) {
    child.kill('SIGKILL');
  }
});

async function startServer({ port, workDir }) {
  const issuer = `http://localhost:${port}/api/v2`;
  const child = spawn(process.execPath, [SERVER], {
    cwd: workDir,
    env: {
      ...process.env,
      OIDC_PORT: String(port),
      OIDC_HOST: '127.0.0.1',
      OIDC_ISSUER: issuer,
      OIDC_KEYS_FILE: join(workDir, 'keys', 'jwks.json'),
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_REDIRECT_URIS: REDIRECT_URI,
      OIDC_POST_LOGOUT_REDIRECT_URIS: POST_LOGOUT_URI,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const exited = new Promise((resolveExit) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolveExit({ code, signal });
    });
  });

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`server exited early:\n${output}`);
    }
    try {
      const res = await fetch(`${issuer}/.well-known/openid-configuration`);
      if (res.ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start:\n${output}`);
    }
    await new Promise((r) => { setTimeout(r, 50); });
  }

  return {
    issuer,
    base: `http://localhost:${port}`,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

// Minimal cookie jar: honours name, value, path and deletion.
class CookieJar {
  constructor() {
    this.cookies = new Map(); // `${path}|${name}` -> { name, value, path }
  }

  store(response) {
    for (const header of response.headers.getSetCookie()) {
      const [pair, ...attributes] = header.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key, val = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') {
          path = val;
        } else if (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now()) {
          expired = true;
        } else if (key.toLowerCase() === 'max-age' && Number(val) <= 0) {
          expired = true;
        }
      }
      const key = `${path}|${name}`;
      if (expired) {
        this.cookies.delete(key);
      } else {
        this.cookies.set(key, { name, value, path });
      }
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.cookies.values()]
      .filter(({ path }) => pathname === path || pathname.startsWith(path.endsWith('/') ? path : `${path}/`))
      .map(({ name, value }) => `${name}=${value}`)
      .join('; ');
  }
}

async function request(jar, url, { method = 'GET', form, headers = {} } = {}) {
  const init = { method, redirect: 'manual', headers: { ...headers } };
  const cookie = jar.header(url);
  if (cookie) {
    init.headers.cookie = cookie;
  }
  if (form) {
    init.headers['content-type'] = 'application/x-www-form-urlencoded';
    init.body = new URLSearchParams(form).toString();
  }
  const response = await fetch(url, init);
  jar.store(response);
  return response;
}

// Follows redirects (GET) until one leaves the provider for `stopAt`.
async function followUntil(jar, response, stopAt, base) {
  let current = response;
  for (let hops = 0; hops < 10; hops += 1) {
    if (![302, 303].includes(current.status)) {
      assert.fail(`expected a redirect, got ${current.status}: ${await current.text()}`);
    }
    const location = new URL(current.headers.get('location'), base).href;
    await current.arrayBuffer();
    if (location.startsWith(stopAt)) {
      return new URL(location);
    }
    current = await request(jar, location);
  }
  throw new Error('too many redirects');
}

function unescapeHtml(value) {
  return value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function parseForm(html) {
  const action = /<form[^>]*action="([^"]*)"/.exec(html)?.[1];
  assert.ok(action, `no form in page:\n${html}`);
  const fields = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) {
    fields[match[1]] = unescapeHtml(match[2]);
  }
  return { action: unescapeHtml(action), fields };
}

function authorizeUrl(issuer, overrides = {}) {
  const params = {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: SCOPE,
    state: 'state-123',
    nonce: 'nonce-456',
    acr_values: 'eidas1',
    ...overrides,
  };
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) {
      delete params[key];
    }
  }
  return `${issuer}/authorize?${new URLSearchParams(params)}`;
}

// Runs the browser part of the flow and returns the callback URL.
async function login(server, jar, { loginName = 'jeanne', password = '123', ...overrides } = {}) {
  const authorize = await request(jar, authorizeUrl(server.issuer, overrides));
  if (authorize.status !== 303) {
    assert.fail(`expected a redirect, got ${authorize.status}: ${await authorize.text()}`);
  }
  const interactionUrl = new URL(authorize.headers.get('location'), server.base).href;
  assert.match(interactionUrl, /\/api\/v2\/interaction\/[A-Za-z0-9_-]+$/);

  const formPage = await request(jar, interactionUrl);
  assert.equal(formPage.status, 200);
  const html = await formPage.text();
  const action = new URL(unescapeHtml(/<form[^>]*action="([^"]*)"/.exec(html)[1]), server.base).href;

  const submitted = await request(jar, action, { method: 'POST', form: { login: loginName, password } });
  return { submitted, html, action };
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe('local FranceConnect-like provider', () => {
  let workDir;
  let port;
  let server;
  let discovery;
  let jwks;
  let idToken;
  let sessionJar;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'oidc-test-'));
    port = await freePort();
    server = await startServer({ port, workDir });
  });

  after(async () => {
    if (server) {
      await server.stop();
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  test('discovery document looks like FranceConnect v2', async () => {
    const res = await fetch(`${server.issuer}/.well-known/openid-configuration`);
    assert.equal(res.status, 200);
    discovery = await res.json();
    assert.equal(discovery.issuer, server.issuer);
    assert.equal(discovery.authorization_endpoint, `${server.issuer}/authorize`);
    assert.equal(discovery.token_endpoint, `${server.issuer}/token`);
    assert.equal(discovery.userinfo_endpoint, `${server.issuer}/userinfo`);
    assert.equal(discovery.end_session_endpoint, `${server.issuer}/session/end`);
    assert.equal(discovery.jwks_uri, `${server.issuer}/jwks`);
    assert.deepEqual(discovery.id_token_signing_alg_values_supported, ['ES256']);
    assert.deepEqual(discovery.userinfo_signing_alg_values_supported, ['ES256']);
    assert.deepEqual(discovery.acr_values_supported, ['eidas1', 'eidas2', 'eidas3']);
    assert.deepEqual(discovery.response_types_supported, ['code']);
    for (const scope of ['openid', 'given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email', 'preferred_name']) {
      assert.ok(discovery.scopes_supported.includes(scope), `scope ${scope} advertised`);
    }
    assert.ok(discovery.token_endpoint_auth_methods_supported.includes('client_secret_post'));
  });

  test('discovery is served whatever the Host header', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/.well-known/openid-configuration`);
    const doc = await res.json();
    assert.equal(doc.issuer, server.issuer);
    assert.equal(doc.token_endpoint, `${server.issuer}/token`);
  });

  test('JWKS publishes a public ES256 signing key', async () => {
    const res = await fetch(discovery.jwks_uri);
    assert.equal(res.status, 200);
    jwks = await res.json();
    assert.ok(jwks.keys.length >= 1);
    for (const key of jwks.keys) {
      assert.equal(key.kty, 'EC');
      assert.equal(key.crv, 'P-256');
      assert.equal(key.alg, 'ES256');
      assert.equal(key.use, 'sig');
      assert.ok(key.kid);
      assert.equal(key.d, undefined, 'no private part');
    }
  });

  test('login page is the French demonstration form', async () => {
    const jar = new CookieJar();
    const res = await request(jar, authorizeUrl(server.issuer));
    const page = await request(jar, new URL(res.headers.get('location'), server.base).href);
    const html = await page.text();
    assert.match(page.headers.get('content-type'), /text\/html/);
    assert.match(html, /<html lang="fr">/);
    assert.match(html, /<title>FranceConnect \(fournisseur d&#39;identité de démonstration\)<\/title>/);
    assert.match(html, /<label for="login">Identifiant<\/label>/);
    assert.match(html, /<input type="text" id="login" name="login"/);
    assert.match(html, /<label for="password">Mot de passe<\/label>/);
    assert.match(html, /<input type="password" id="password" name="password"/);
    assert.match(html, /<button type="submit">Se connecter<\/button>/);
    for (const demo of ['camille', 'jeanne', 'marie-ange', 'paul']) {
      assert.ok(html.includes(`<code>${demo}</code>`), `demo login ${demo} listed`);
    }
  });

  test('a wrong password shows the error and the form again', async () => {
    const jar = new CookieJar();
    const { submitted } = await login(server, jar, { password: 'wrong' });
    assert.equal(submitted.status, 200);
    const html = await submitted.text();
    assert.ok(html.includes('Identifiant ou mot de passe incorrect.'));
    assert.match(html, /name="password"/);

    const { submitted: unknown } = await login(server, new CookieJar(), { loginName: 'nobody' });
    assert.ok((await unknown.text()).includes('Identifiant ou mot de passe incorrect.'));
  });

  test('authorization code flow with client_secret_post, ES256 ID token and JWT userinfo', async () => {
    const jar = new CookieJar();
    const { submitted } = await login(server, jar);
    assert.equal(submitted.status, 303);
    const callback = await followUntil(jar, submitted, REDIRECT_URI, server.base);
    assert.equal(callback.searchParams.get('state'), 'state-123');
    assert.equal(callback.searchParams.get('iss'), server.issuer);
    const code = callback.searchParams.get('code');
    assert.ok(code);

    const tokenRes = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }),
    });
    const tokens = await tokenRes.json();
    assert.equal(tokenRes.status, 200, JSON.stringify(tokens));
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.access_token);
    assert.ok(tokens.id_token);
    assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 300);

    const keySet = createLocalJWKSet(jwks);
    assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'ES256');
    const { payload: claims, protectedHeader } = await jwtVerify(tokens.id_token, keySet, {
      issuer: server.issuer,
      audience: CLIENT_ID,
      algorithms: ['ES256'],
    });
    assert.equal(protectedHeader.kid, jwks.keys[0].kid);
    assert.equal(claims.nonce, 'nonce-456');
    assert.equal(claims.acr, 'eidas1');
    assert.equal(claims.sub, 'd8377eff010dd24b96eb50352d8e98f9e6426b88917d1c33b9cd34e3eefa443d');
    assert.ok(claims.exp - claims.iat <= 60);
    idToken = tokens.id_token;
    sessionJar = jar;

    const userinfoRes = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(userinfoRes.status, 200);
    assert.match(userinfoRes.headers.get('content-type'), /^application\/jwt/);
    const userinfoJwt = await userinfoRes.text();
    assert.equal(decodeProtectedHeader(userinfoJwt).alg, 'ES256');
    const { payload: userinfo } = await jwtVerify(userinfoJwt, keySet, {
      issuer: server.issuer,
      audience: CLIENT_ID,
      algorithms: ['ES256'],
    });
    assert.equal(userinfo.sub, claims.sub);
    assert.equal(userinfo.given_name, 'Jeanne');
    assert.equal(userinfo.family_name, 'LEFEBVRE');
    assert.equal(userinfo.birthdate, '1955-08-03');
    assert.equal(userinfo.gender, 'female');
    assert.equal(userinfo.birthplace, '14168');
    assert.equal(userinfo.birthcountry, '99100');
    assert.equal(userinfo.email, 'jeanne.lefebvre@example.fr');
    assert.equal(userinfo.preferred_name, undefined, 'preferred_name scope was not requested');

    const reused = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: REDIRECT_URI,
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
      }),
    });
    assert.equal(reused.status, 400, 'a code is single use');
    assert.equal((await reused.json()).error, 'invalid_grant');
  });

  test('only the requested claims are returned, client_secret_basic also works', async () => {
    const jar = new CookieJar();
    const { submitted } = await login(server, jar, { loginName: 'camille', scope: 'openid given_name birthplace', state: 's2', nonce: 'n2' });
    const callback = await followUntil(jar, submitted, REDIRECT_URI, server.base);
    const tokenRes = await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code'), redirect_uri: REDIRECT_URI }),
    });
    const tokens = await tokenRes.json();
    assert.equal(tokenRes.status, 200, JSON.stringify(tokens));
    const userinfoRes = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const { payload } = await jwtVerify(await userinfoRes.text(), createLocalJWKSet(jwks), { issuer: server.issuer, audience: CLIENT_ID });
    assert.deepEqual(
      Object.keys(payload).filter((key) => !['iss', 'aud', 'iat', 'exp'].includes(key)).sort(),
      ['birthplace', 'given_name', 'sub'],
    );
    assert.equal(payload.given_name, 'Camille');
    assert.equal(payload.birthplace, '');
  });

  test('an open session skips the form; consent is implicit even with prompt=consent', async () => {
    assert.ok(sessionJar, 'needs the session of the code flow test');
    const sso = await request(sessionJar, authorizeUrl(server.issuer, { state: 'sso', scope: 'openid preferred_name' }));
    const ssoCallback = await followUntil(sessionJar, sso, REDIRECT_URI, server.base);
    assert.equal(ssoCallback.searchParams.get('state'), 'sso');
    assert.ok(ssoCallback.searchParams.get('code'));

    const consent = await request(sessionJar, authorizeUrl(server.issuer, { state: 'consent', prompt: 'consent' }));
    const consentCallback = await followUntil(sessionJar, consent, REDIRECT_URI, server.base);
    assert.equal(consentCallback.searchParams.get('state'), 'consent');
    assert.ok(consentCallback.searchParams.get('code'));

    const forced = await request(sessionJar, authorizeUrl(server.issuer, { prompt: 'login' }));
    assert.match(forced.headers.get('location'), /\/api\/v2\/interaction\//, 'prompt=login shows the form again');
  });

  test('an authorization request without nonce or state is refused', async () => {
    const noNonce = await request(new CookieJar(), authorizeUrl(server.issuer, { nonce: undefined }));
    assert.equal(noNonce.status, 303);
    const location = new URL(noNonce.headers.get('location'));
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description'), /nonce/);
    assert.equal(location.searchParams.get('state'), 'state-123');
    assert.equal(location.searchParams.get('code'), null);

    const noState = await request(new CookieJar(), authorizeUrl(server.issuer, { state: undefined }));
    const noStateLocation = new URL(noState.headers.get('location'));
    assert.equal(noStateLocation.searchParams.get('error'), 'invalid_request');
    assert.match(noStateLocation.searchParams.get('error_description'), /state/);
  });

  test('an unregistered redirect URI is refused without redirecting', async () => {
    const res = await request(new CookieJar(), authorizeUrl(server.issuer, { redirect_uri: 'http://evil.example/cb' }));
    assert.equal(res.status, 400);
    assert.match(await res.text(), /redirect_uri/);
  });

  test('RP-initiated logout redirects to the post-logout URI with the state', async () => {
    assert.ok(idToken, 'needs the ID token of the code flow test');
    const params = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: POST_LOGOUT_URI,
      state: 'logout-789',
    });
    const page = await request(sessionJar, `${discovery.end_session_endpoint}?${params}`);
    assert.equal(page.status, 200);
    const { action, fields } = parseForm(await page.text());
    assert.equal(fields.logout, 'yes');
    assert.ok(fields.xsrf);
    const confirmed = await request(sessionJar, new URL(action, server.base).href, { method: 'POST', form: fields });
    assert.equal(confirmed.status, 303);
    const location = new URL(confirmed.headers.get('location'));
    assert.equal(`${location.origin}${location.pathname}`, POST_LOGOUT_URI);
    assert.equal(location.searchParams.get('state'), 'logout-789');

    // The session is gone: a new authorization request shows the login form.
    const again = await request(sessionJar, authorizeUrl(server.issuer));
    assert.equal(again.status, 303);
    assert.match(again.headers.get('location'), /\/api\/v2\/interaction\//);
  });

  test('signing keys persist across a restart', async () => {
    const kid = jwks.keys[0].kid;
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, 'clean exit on SIGTERM');
    server = await startServer({ port, workDir });
    const res = await fetch(`${server.issuer}/jwks`);
    const again = await res.json();
    assert.deepEqual(again.keys.map((key) => key.kid), [kid]);
  });
});
