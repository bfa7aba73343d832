import { defineConfig } from 'vitest/config';

// Unit tests of the shared logic (character counter, draft store, API client), and the check
// that the API types generated from the services' OpenAPI documents are up to date.
export default defineConfig({
  test: {
    include: ['scripts/**/*.test.ts', 'shared/src/**/*.test.ts', 'portal/src/**/*.test.ts', 'backoffice/src/**/*.test.ts'],
    environment: 'jsdom',
  },
});
