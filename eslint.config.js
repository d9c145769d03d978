// Lint rules. The one that matters most: only src/kernel/ may touch the kernel
// (DESIGN.md rule 2) — spawning tools, netlink, raw sockets, /proc and /sys writes.
import tseslint from 'typescript-eslint';

const kernelModules = [
  'child_process', 'node:child_process',
  'netlink',
].map((name) => ({
  name,
  message: 'Kernel access lives in src/kernel/ only (DESIGN.md rule 2): take an interface from there.',
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bin/**', 'scripts/**', 'eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', { paths: kernelModules }],
    },
  },
  {
    // The kernel adapter itself, and the test/benchmark harnesses that build worlds
    // in namespaces and start the real binaries.
    files: ['src/kernel/**', 'netns-tests/**', 'bench/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
