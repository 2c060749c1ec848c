// ESLint for the whole workspace (flat config; typescript-eslint). Beyond the recommended sets: the promise rules
// that need types (a floating or misused promise in the lifecycle is a lost error or a race), throwing only Error
// objects, and the layering rule of STYLE.md: only @ct/syscalls loads a `.node` file, and only through
// src/native.ts and its loader.
// Run: pnpm lint (turbo's lint task: `eslint .` in each workspace package, and the root's lint:root for tools/bench,
// tools/mocha and examples/).
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

/**
 * Loading a native module: a `.node` path passed to any call (require('x.node'), createRequire(u)('x.node'),
 * join(dir, `x.node`)), import('x.node'), import from 'x.node', process.dlopen.
 */
const NATIVE_LOADS = [
  { selector: 'CallExpression > Literal[value=/\\.node$/]', message: 'only @ct/syscalls loads .node files (src/native.ts)' },
  { selector: 'CallExpression > TemplateLiteral > TemplateElement.quasis:last-child[value.raw=/\\.node$/]', message: 'only @ct/syscalls loads .node files (src/native.ts)' },
  { selector: 'ImportExpression > Literal[value=/\\.node$/]', message: 'only @ct/syscalls loads .node files (src/native.ts)' },
  { selector: 'ImportDeclaration[source.value=/\\.node$/]', message: 'only @ct/syscalls loads .node files (src/native.ts)' },
  { selector: "MemberExpression[object.name='process'][property.name='dlopen']", message: 'only @ct/syscalls loads native code' },
  { selector: 'ImportExpression > Literal[value=/syscalls\\/(src|dist)\\/native/]', message: 'the binding is private to @ct/syscalls: use its typed wrappers' },
];

export default defineConfig(
  globalIgnores([
    '**/node_modules/', '**/dist/', '**/build/', '**/prebuilds/', 'test-images/build/', '**/*.generated.ts',
    '**/oclif.manifest.json', '.turbo/', '**/docs/api/',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Test fixtures in .mts (run as child programs) are outside the packages' tsconfig.
        projectService: { allowDefaultProject: ['packages/*/test/fixtures/*.mts'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // The code's style: `let names: string[] = []; try { names = readdirSync(p) } catch { return }`, a
      // value given before the try that assigns it (tsc's definite-assignment check would also do without).
      'no-useless-assignment': 'off',
      // An async generator inside a method names its object `self` (no arrow generators in JavaScript).
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['self'] }],
      'no-restricted-syntax': ['error', ...NATIVE_LOADS],
      'no-restricted-imports': ['error', {
        patterns: [{ group: ['@ct/syscalls/*/native*', '**/syscalls/src/native*', '**/syscalls/dist/native*'], message: 'the binding is private to @ct/syscalls: use its typed wrappers' }],
      }],
    },
  },
  {
    // JavaScript (scripts, tools, the plugin example): no type information, Node globals.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', AbortController: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', performance: 'readonly', structuredClone: 'readonly' },
    },
  },
  {
    files: ['**/test/**/*.mjs'],
    languageOptions: { globals: { describe: 'readonly', it: 'readonly', before: 'readonly', after: 'readonly', beforeEach: 'readonly', afterEach: 'readonly' } },
  },
  {
    // A README's Usage example names the values it shows, used or not.
    files: ['**/test/fixtures/readme-usage.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
  {
    // apps/ct/bin/ct.js is CommonJS too (apps/ct/bin/package.json): Node starts it without its ESM loader
    files: ['**/*.cjs', 'apps/ct/bin/ct.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', __filename: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The package that owns the addon (src/native.ts and its loader; its build scripts and the loader's tests).
    files: ['packages/syscalls/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
