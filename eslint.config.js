// ESLint (flat config): JavaScript and typescript-eslint's recommended rules everywhere, the React
// hooks rules in the renderer. Formatting is Prettier's job (.prettierrc.json); `npm test` runs both.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', 'src-main/engine/kernels/wasm/simd/kernels-binary.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a deliberately unused binding (a destructured field left out, a required parameter).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // Prettier wraps code at 140 but leaves comments and strings alone: comments must fit too; a
      // user-facing message stays one string (searchable), so strings and template literals may not.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreUrls: true, ignoreRegExpLiterals: true }],
    },
  },
  {
    // Tensors are read back asynchronously in the main process and in the webgpu tests: on the webgpu
    // backend in Node a synchronous read cannot wait for the GPU (tfjs-webgpu implements it with a
    // browser canvas and throws). Other tests may still read synchronously on the wasm and cpu backends.
    files: ['src-main/**/*.ts', 'test/webgpu/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['dataSync', 'arraySync', 'bufferSync'].map((property) => ({
          property,
          message: `${property}() cannot read a tensor on the webgpu backend in Node (no synchronous GPU read-back): use await t.data() / await t.array().`,
        })),
      ],
    },
  },
  {
    // The declarations of Electron's API that FundusLab uses, written as Electron's own typings are
    // (the electron package is optional, so its .d.ts may be absent); `any` and `{}` are Electron's.
    files: ['src-main/electron/electron-api.d.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-empty-object-type': 'off' },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
);
