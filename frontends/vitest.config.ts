import { defineConfig } from 'vitest/config';

// Unit tests of the shared logic (character counter, draft store, API client).
export default defineConfig({
  test: {
    include: ['shared/src/**/*.test.ts', 'portal/src/**/*.test.ts', 'backoffice/src/**/*.test.ts'],
    environment: 'jsdom',
  },
});
