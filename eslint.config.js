// ESLint: typescript-eslint's type-checked rules, and the layer diagram of README.md ("Layers") as an import
// boundary rule: a folder may import only the folders below it. The drawing and LAYERS must agree (a test checks).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const boundaries = require('eslint-plugin-boundaries');

/** Each layer of src/ and the layers it may import (besides itself). */
const LAYERS = {
  core: [],
  util: ['core'],
  io: ['core', 'util'],
  weights: ['core', 'util'],
  transforms: ['core', 'util'],
  dicom: ['core', 'util', 'io'],
  report: ['core', 'util', 'io', 'transforms'],
  model: ['core', 'util', 'weights'],
  infer: ['core', 'util', 'io', 'transforms', 'dicom', 'model', 'report'],
  datastore: ['core', 'util', 'io', 'dicom'],
  tasks: ['core', 'util'],
  'train-bridge': ['core', 'util', 'io', 'transforms', 'weights', 'model', 'infer'],
  server: ['core', 'util'],
  scale: ['core', 'util'],
  apps: ['core', 'util', 'io', 'transforms', 'weights', 'dicom', 'model', 'infer', 'report', 'datastore', 'tasks', 'train-bridge'],
  cli: ['core', 'util', 'io', 'transforms', 'weights', 'dicom', 'model', 'infer', 'report', 'datastore', 'tasks', 'train-bridge', 'server', 'scale', 'apps'],
};

/** The import-boundary part alone (also used by test/lint to prove that a forbidden import fails). */
const layerRule = {
  files: ['src/**/*.ts'],
  plugins: { boundaries },
  settings: {
    'boundaries/elements': Object.keys(LAYERS).map((type) => ({ type, pattern: `src/${type}/**`, partialMatch: false })),
    'import/resolver': { node: { extensions: ['.ts', '.js'] } },
  },
  rules: {
    'boundaries/no-unknown-files': 'error',
    'boundaries/dependencies': [
      'error',
      {
        default: 'disallow',
        policies: Object.entries(LAYERS).map(([from, allow]) => ({
          from: { element: { type: from } },
          allow: [from, ...allow].map((type) => ({ to: { element: { type } } })),
        })),
      },
    ],
  },
};

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
  },
  layerRule,
  {
    // supertest answers `res.body` as `any` by design: reading it in assertions is what the tests are for.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked, languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __dirname: 'readonly' } } },
);
module.exports.LAYERS = LAYERS;
module.exports.layerRule = layerRule;
