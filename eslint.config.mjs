// ESLint flat config: @eslint/js and typescript-eslint's recommended rules. Not the type-aware
// set: it took six times as long here (45 s against 8 s), and `npm run typecheck` checks types.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/', 'node_modules/', '.scratch/', 'bench-results/', 'coverage/', '.data/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      // The code's convention: a leading underscore, or a rest sibling, marks a value left out on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  // Configuration files run in Node; with no "type" in package.json, .js files are CommonJS there.
  {
    files: ['**/*.{js,cjs,mjs}'],
    ignores: ['public/**'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.js'],
    ignores: ['public/**'],
    languageOptions: { sourceType: 'commonjs' },
  },
  // The pages' own scripts: plain scripts in the browser.
  {
    files: ['public/js/**/*.js'],
    languageOptions: { sourceType: 'script', globals: globals.browser },
  },
  // ES modules in the browser (a page's <script type="module">): public/js/*.mjs and the browser tests' pages.
  {
    files: ['public/js/**/*.mjs', 'tests/e2e/fixtures/**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: globals.browser },
  },
);
