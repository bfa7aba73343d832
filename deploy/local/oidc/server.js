// Local OpenID Connect provider that behaves like FranceConnect v2.
//
// It stands in for FranceConnect during development and automated tests of
// "Mes messages et mes réponses". It is configured only through environment
// variables (see README.md) and is not meant to be exposed to real users.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------
// Configuration (environment variables only)
// ---------------------------------------------------------------------------

function env(name, fallback) {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function list(value) {
  return value.split(',').map((item) => item.trim()).filter(Boolean);
}

const PORT = Number.parseInt(env('OIDC_PORT', '9100'), 10);
const HOST = env('OIDC_HOST', '127.0.0.1');
const ISSUER = env('OIDC_ISSUER', `http://localhost:${PORT}/api/v2`).replace(/\/+$/, '');
const KEYS_FILE = resolve(process.cwd(), env('OIDC_KEYS_FILE', './.keys/jwks.json'));
const COOKIE_KEYS_FILE = join(dirname(KEYS_FILE), 'cookie-keys.json');
const IDENTITIES_FILE = resolve(process.cwd(), env('OIDC_IDENTITIES_FILE', join(HERE, 'identities.json')));
const CLIENTS_FILE = env('OIDC_CLIENTS_FILE', '');

const DEMO_PASSWORD = '123';
const ACR_VALUES = ['eidas1', 'eidas2', 'eidas3'];
const DEFAULT_ACR = 'eidas1';

// FranceConnect asks for one scope per claim: each scope grants the claim of
// the same name.
const IDENTITY_CLAIMS = [
  'given_name',
  'family_name',
  'birthdate',
  'gender',
  'birthplace',
  'birthcountry',
  'email',
  'preferred_name',
];

if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  throw new Error(`OIDC_PORT is not a valid port: ${process.env.OIDC_PORT}`);
}

const issuerUrl = new URL(ISSUER);
// Path under which every provider endpoint lives ("/api/v2" by default).
const MOUNT = issuerUrl.pathname.replace(/\/+$/, '');

// ---------------------------------------------------------------------------
// Persistent keys
// ---------------------------------------------------------------------------

function writeFileAtomic(file, content) {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, file);
}

async function loadOrCreateSigningKeys(file) {
  if (existsSync(file)) {
    const jwks = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) {
      throw new Error(`${file} does not hold a JWKS with at least one key`);
    }
    for (const key of jwks.keys) {
      if (key.kty !== 'EC' || key.crv !== 'P-256' || !key.d) {
        throw new Error(`${file}: every key must be a private EC P-256 (ES256) key`);
      }
    }
    return jwks;
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  jwk.kid = await calculateJwkThumbprint(jwk);
  jwk.use = 'sig';
  jwk.alg = 'ES256';
  const jwks = { keys: [jwk] };
  writeFileAtomic(file, `${JSON.stringify(jwks, null, 2)}\n`);
  log(`generated a new ES256 signing key (kid ${jwk.kid}) in ${file}`);
  return jwks;
}

function loadOrCreateCookieKeys(file) {
  const fromEnv = list(env('OIDC_COOKIE_KEYS', ''));
  if (fromEnv.length) {
    return fromEnv;
  }
  if (existsSync(file)) {
    const keys = JSON.parse(readFileSync(file, 'utf8'));
    if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string' && k)) {
      throw new Error(`${file} must hold a JSON array of non-empty strings`);
    }
    return keys;
  }
  const keys = [randomBytes(32).toString('base64url')];
  writeFileAtomic(file, `${JSON.stringify(keys, null, 2)}\n`);
  return keys;
}

// ---------------------------------------------------------------------------
// Demo identities and clients
// ---------------------------------------------------------------------------

function loadIdentities(file) {
  const identities = JSON.parse(readFileSync(file, 'utf8'));
  if (!Array.isArray(identities) || identities.length === 0) {
    throw new Error(`${file} must hold a non-empty JSON array of identities`);
  }
  for (const identity of identities) {
    if (typeof identity.login !== 'string' || !identity.login) {
      throw new Error(`${file}: every identity needs a login`);
    }
    if (typeof identity.sub !== 'string' || !/^[0-9a-f]{64}$/.test(identity.sub)) {
      throw new Error(`${file}: identity ${identity.login} needs a 64 hex characters sub`);
    }
  }
  return identities;
}

function loadClients() {
  if (CLIENTS_FILE) {
    const clients = JSON.parse(readFileSync(resolve(process.cwd(), CLIENTS_FILE), 'utf8'));
    if (!Array.isArray(clients) || clients.length === 0) {
      throw new Error(`${CLIENTS_FILE} must hold a non-empty JSON array of client metadata`);
    }
    return clients;
  }
  return [{
    client_id: env('OIDC_CLIENT_ID', 'mes-messages-local'),
    client_secret: env('OIDC_CLIENT_SECRET', 'local-franceconnect-secret-not-for-production'),
    client_name: 'Mes messages et mes réponses (local)',
    redirect_uris: list(env('OIDC_REDIRECT_URIS', 'http://localhost:8080/api/auth/franceconnect/callback')),
    post_logout_redirect_uris: list(env('OIDC_POST_LOGOUT_REDIRECT_URIS', 'http://localhost:8080/')),
  }];
}

// ---------------------------------------------------------------------------
// HTML helpers
// ---------------------------------------------------------------------------

function escapeHtml(value) {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const PAGE_TITLE = "FranceConnect (fournisseur d'identité de démonstration)";

const STYLE = `
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; margin: 0; background: #f6f6f6; color: #161616; }
  main { max-width: 32rem; margin: 2rem auto; padding: 1.5rem 2rem; background: #fff; border: 1px solid #ddd; border-radius: 4px; }
  h1 { font-size: 1.4rem; margin-top: 0; }
  h2 { font-size: 1.1rem; }
  label { display: block; font-weight: 600; margin-top: 1rem; }
  input[type=text], input[type=password] { display: block; width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; font-size: 1rem; border: 1px solid #666; border-radius: 2px; }
  button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; background: #000091; color: #fff; border: 0; border-radius: 2px; cursor: pointer; }
  button:focus, input:focus { outline: 3px solid #0a76f6; outline-offset: 2px; }
  .error { color: #ce0500; font-weight: 600; border-left: 4px solid #ce0500; padding-left: .75rem; }
  .hint { color: #3a3a3a; font-size: .9rem; }
  code { background: #eee; padding: 0 .2rem; }
`;

function page(title, body, { script } = {}) {
  return `<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
${script ? `<script>${script}</script>` : ''}
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

function loginPage({ action, clientName, identities, error, login }) {
  const errorBlock = error
    ? `<p class="error" role="alert" id="login-error">${escapeHtml(error)}</p>`
    : '';
  const describedBy = error ? ' aria-describedby="login-error" aria-invalid="true"' : '';
  const logins = identities
    .map((identity) => `<li><code>${escapeHtml(identity.login)}</code> : ${escapeHtml(identity.given_name)} ${escapeHtml(identity.family_name)}</li>`)
    .join('\n');
  return page(PAGE_TITLE, `
<h1>${escapeHtml(PAGE_TITLE)}</h1>
<p>Connexion demandée par <strong>${escapeHtml(clientName)}</strong>.</p>
${errorBlock}
<form method="post" action="${escapeHtml(action)}" novalidate>
  <label for="login">Identifiant</label>
  <input type="text" id="login" name="login" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(login)}"${describedBy}>
  <label for="password">Mot de passe</label>
  <input type="password" id="password" name="password" autocomplete="current-password" required${describedBy}>
  <button type="submit">Se connecter</button>
</form>
<h2>Identités de démonstration</h2>
<p class="hint">Mot de passe pour toutes les identités : <code>${escapeHtml(DEMO_PASSWORD)}</code></p>
<ul>
${logins}
</ul>`);
}

function messagePage(title, message) {
  return page(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}

// ---------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------

function log(message) {
  process.stdout.write(`${new Date().toISOString()} ${message}\n`);
}

// ---------------------------------------------------------------------------
// Storage: in memory, everything is lost on restart (sessions, codes, tokens)
// ---------------------------------------------------------------------------

const store = new Map(); // key -> { value, expiresAt }
const now = () => Math.floor(Date.now() / 1000);

function storeGet(key) {
  const entry = store.get(key);
  if (!entry) {
    return undefined;
  }
  if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
    store.delete(key);
    return undefined;
  }
  return entry.value;
}

function storeSet(key, value, expiresIn) {
  store.set(key, { value, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
}

setInterval(() => {
  const time = Date.now();
  for (const [key, entry] of store) {
    if (entry.expiresAt !== undefined && entry.expiresAt <= time) {
      store.delete(key);
    }
  }
}, 60_000).unref();

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

class MemoryAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    if (this.model === 'Session') {
      storeSet(`sessionUid:${payload.uid}`, id, expiresIn);
    }
    if (GRANTABLE.has(this.model) && payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      const keys = storeGet(grantKey) || [];
      keys.push(key);
      storeSet(grantKey, keys, expiresIn);
    }
    if (payload.userCode) {
      storeSet(`userCode:${payload.userCode}`, id, expiresIn);
    }
    storeSet(key, payload, expiresIn);
  }

  async find(id) {
    return storeGet(this.key(id));
  }

  async findByUid(uid) {
    const id = storeGet(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode(userCode) {
    const id = storeGet(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }

  async consume(id) {
    const payload = storeGet(this.key(id));
    if (payload) {
      payload.consumed = now();
    }
  }

  async destroy(id) {
    store.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    for (const key of storeGet(grantKey) || []) {
      store.delete(key);
    }
    store.delete(grantKey);
  }
}

// ---------------------------------------------------------------------------
// Provider
// ---------------------------------------------------------------------------

const identities = loadIdentities(IDENTITIES_FILE);
const identitiesByLogin = new Map(identities.map((identity) => [identity.login, identity]));
const identitiesBySub = new Map(identities.map((identity) => [identity.sub, identity]));

const jwks = await loadOrCreateSigningKeys(KEYS_FILE);
const cookieKeys = loadOrCreateCookieKeys(COOKIE_KEYS_FILE);

function requiredParam(name) {
  return async function requireParam(ctx, value) {
    if (typeof value !== 'string' || value === '') {
      throw new errors.InvalidRequest(`missing required parameter '${name}'`);
    }
  };
}

// Grants every requested scope and claim: consent is implicit, like on
// FranceConnect where the user does not pick the data passed to the service.
async function loadExistingGrant(ctx) {
  const { client, session, account, provider } = ctx.oidc;
  const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
  let grant = grantId ? await provider.Grant.find(grantId) : undefined;
  if (!grant || grant.accountId !== account.accountId || grant.clientId !== client.clientId) {
    grant = new provider.Grant({ clientId: client.clientId, accountId: account.accountId });
  }
  const scopes = [...ctx.oidc.requestParamOIDCScopes];
  if (scopes.length) {
    grant.addOIDCScope(scopes.join(' '));
  }
  const claims = [...ctx.oidc.requestParamClaims];
  if (claims.length) {
    grant.addOIDCClaims(claims);
  }
  await grant.save();
  return grant;
}

async function findAccount(ctx, sub) {
  const identity = identitiesBySub.get(sub);
  if (!identity) {
    return undefined;
  }
  return {
    accountId: sub,
    async claims() {
      const claims = { sub };
      for (const name of IDENTITY_CLAIMS) {
        if (identity[name] !== undefined && identity[name] !== null) {
          claims[name] = identity[name];
        }
      }
      return claims;
    },
  };
}

async function logoutSource(ctx, form) {
  // Sign the user out without asking: the confirmation form submits itself.
  const autoForm = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/><noscript><button type="submit">Se déconnecter</button></noscript></form>');
  ctx.type = 'html';
  ctx.body = page('Déconnexion', `<h1>Déconnexion en cours…</h1>\n${autoForm}`, {
    script: "document.addEventListener('DOMContentLoaded', function () { document.forms[0].submit(); });",
  });
}

async function postLogoutSuccessSource(ctx) {
  ctx.type = 'html';
  ctx.body = messagePage('Déconnexion', 'Vous êtes déconnecté de FranceConnect (fournisseur d\'identité de démonstration).');
}

async function renderError(ctx, out) {
  ctx.type = 'html';
  const details = Object.entries(out)
    .map(([key, value]) => `<li><code>${escapeHtml(key)}</code> : ${escapeHtml(value)}</li>`)
    .join('\n');
  ctx.body = page('Erreur', `<h1>Une erreur est survenue</h1>\n<ul>\n${details}\n</ul>`);
}

const configuration = {
  adapter: MemoryAdapter,
  clients: loadClients(),
  clientDefaults: {
    grant_types: ['authorization_code'],
    response_types: ['code'],
    id_token_signed_response_alg: 'ES256',
    userinfo_signed_response_alg: 'ES256',
    token_endpoint_auth_method: 'client_secret_post',
  },
  clientAuthMethods: ['client_secret_post', 'client_secret_basic'],
  responseTypes: ['code'],
  scopes: ['openid'],
  claims: {
    acr: null,
    amr: null,
    auth_time: null,
    iss: null,
    sid: null,
    openid: ['sub'],
    ...Object.fromEntries(IDENTITY_CLAIMS.map((claim) => [claim, [claim]])),
  },
  acrValues: ACR_VALUES,
  extraParams: {
    state: requiredParam('state'),
    nonce: requiredParam('nonce'),
  },
  pkce: {
    methods: ['S256'],
    // FranceConnect does not require PKCE; the clients here are confidential.
    required: () => false,
  },
  jwks,
  enabledJWA: {
    idTokenSigningAlgValues: ['ES256'],
    userinfoSigningAlgValues: ['ES256'],
    authorizationSigningAlgValues: ['ES256'],
    introspectionSigningAlgValues: ['ES256'],
  },
  cookies: {
    keys: cookieKeys,
    long: { httpOnly: true, sameSite: 'lax', signed: true },
    short: { httpOnly: true, sameSite: 'lax', signed: true },
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
    userinfo: { enabled: true },
    jwtUserinfo: { enabled: true },
    pushedAuthorizationRequests: { enabled: false },
    resourceIndicators: { enabled: false },
    revocation: { enabled: false },
    introspection: { enabled: false },
  },
  routes: {
    authorization: '/authorize',
    token: '/token',
    userinfo: '/userinfo',
    end_session: '/session/end',
    jwks: '/jwks',
  },
  ttl: {
    AuthorizationCode: 60,
    IdToken: 60,
    AccessToken: 300,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
  interactions: {
    url: (ctx, interaction) => `${MOUNT}/interaction/${interaction.uid}`,
  },
  loadExistingGrant,
  findAccount,
  renderError,
  conformIdTokenClaims: true,
};

const provider = new Provider(ISSUER, configuration);
// Public URLs (discovery document, redirects) are always derived from the
// issuer, whatever Host header the request came with.
provider.proxy = true;

for (const event of ['authorization.error', 'grant.error', 'userinfo.error', 'end_session.error', 'jwks.error', 'discovery.error']) {
  provider.on(event, (ctx, err) => {
    log(`${event}: ${err.error || err.name}${err.error_description ? ` (${err.error_description})` : ''}`);
  });
}
provider.on('server_error', (ctx, err) => {
  log(`server_error: ${err.stack || err}`);
});

const providerCallback = provider.callback();

// ---------------------------------------------------------------------------
// Login interaction
// ---------------------------------------------------------------------------

async function readForm(req, limit = 16 * 1024) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > limit) {
      throw new Error('request body too large');
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function sendHtml(res, status, html) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(html);
}

function requestedAcr(params) {
  const requested = String(params.acr_values || '').split(' ').filter(Boolean);
  return requested.find((value) => ACR_VALUES.includes(value)) || DEFAULT_ACR;
}

async function handleInteraction(req, res, uid) {
  let details;
  try {
    details = await provider.interactionDetails(req, res);
  } catch (err) {
    if (err instanceof errors.SessionNotFound) {
      sendHtml(res, 400, messagePage('Session expirée', 'La demande de connexion a expiré ou est introuvable. Recommencez depuis le service.'));
      return;
    }
    throw err;
  }
  if (details.uid !== uid) {
    sendHtml(res, 400, messagePage('Session expirée', 'La demande de connexion ne correspond pas à cette page. Recommencez depuis le service.'));
    return;
  }

  const { prompt, params } = details;

  if (prompt.name === 'consent') {
    // Implicit consent: grant whatever is missing and carry on.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    if (prompt.details.missingOIDCScope) {
      grant.addOIDCScope(prompt.details.missingOIDCScope.join(' '));
    }
    if (prompt.details.missingOIDCClaims) {
      grant.addOIDCClaims(prompt.details.missingOIDCClaims);
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }

  if (prompt.name !== 'login') {
    sendHtml(res, 400, messagePage('Erreur', `Étape de connexion non prise en charge : ${prompt.name}.`));
    return;
  }

  const client = await provider.Client.find(params.client_id);
  const view = {
    action: `${MOUNT}/interaction/${uid}`,
    clientName: client?.clientName || params.client_id,
    identities,
    login: '',
    error: undefined,
  };

  if (req.method === 'GET') {
    sendHtml(res, 200, loginPage(view));
    return;
  }

  if (req.method !== 'POST') {
    res.statusCode = 405;
    res.setHeader('Allow', 'GET, POST');
    res.end();
    return;
  }

  const form = await readForm(req);
  const login = (form.get('login') || '').trim();
  const password = form.get('password') || '';
  const identity = identitiesByLogin.get(login);
  if (!identity || password !== DEMO_PASSWORD) {
    sendHtml(res, 200, loginPage({ ...view, login, error: 'Identifiant ou mot de passe incorrect.' }));
    return;
  }

  await provider.interactionFinished(req, res, {
    login: {
      accountId: identity.sub,
      acr: requestedAcr(params),
      amr: ['pwd'],
      remember: true,
    },
  }, { mergeWithLastSubmission: false });
}

// ---------------------------------------------------------------------------
// HTTP server
// ---------------------------------------------------------------------------

const interactionPath = new RegExp(`^${MOUNT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/interaction/([A-Za-z0-9_-]+)$`);

async function handle(req, res) {
  const { pathname } = new URL(req.url, 'http://localhost');

  if (pathname === '/healthz') {
    res.setHeader('Content-Type', 'application/json');
    res.end('{"status":"ok"}');
    return;
  }

  const interaction = interactionPath.exec(pathname);
  if (interaction) {
    await handleInteraction(req, res, interaction[1]);
    return;
  }

  if (MOUNT === '' || pathname.startsWith(`${MOUNT}/`)) {
    // Mount the provider under the issuer's path, the way a framework would:
    // oidc-provider reads the mount path from req.originalUrl.
    req.originalUrl = req.url;
    req.url = req.url.slice(MOUNT.length);
    req.headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
    req.headers['x-forwarded-host'] = issuerUrl.host;
    providerCallback(req, res);
    return;
  }

  res.statusCode = 404;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end('Not Found\n');
}

const server = createServer((req, res) => {
  const started = process.hrtime.bigint();
  const { method } = req;
  const path = req.url.split('?')[0];
  res.on('finish', () => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    log(`${method} ${path} ${res.statusCode} ${ms.toFixed(1)}ms`);
  });
  handle(req, res).catch((err) => {
    log(`error: ${err.stack || err}`);
    if (!res.headersSent) {
      sendHtml(res, 500, messagePage('Erreur', 'Une erreur interne est survenue.'));
    } else {
      res.destroy();
    }
  });
});

server.keepAliveTimeout = 5000;

server.listen(PORT, HOST, () => {
  const address = server.address();
  log(`FranceConnect-like OpenID provider listening on http://${HOST}:${address.port} (issuer ${ISSUER})`);
  log(`discovery: ${ISSUER}/.well-known/openid-configuration`);
});

let stopping = false;
function shutdown(signal) {
  if (stopping) {
    return;
  }
  stopping = true;
  log(`received ${signal}, stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 500).unref();
}

process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
