// @vitest-environment node
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { generate, SERVICES, typesUrl } from './api-types.mjs';

// The committed API types must be what openapi-typescript makes of the committed OpenAPI
// documents (scripts/openapi.py checks, in pytest, that those are the services' own).
describe('API types generated from the services’ OpenAPI documents', () => {
  it.each(SERVICES)('%s: the committed types are up to date', async (service) => {
    const committed = await readFile(typesUrl(service), 'utf8');
    expect(committed, `shared/src/generated/${service}.ts is stale: run \`make api-types\``).toBe(await generate(service));
  }, 60_000);
});
