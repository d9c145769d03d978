import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'cni/**/*.test.ts', 'proxy/**/*.test.ts', 'deploy/**/*.test.ts'],
    environment: 'node',
  },
});
