import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import { parser as tsParser } from 'typescript-eslint';
import { projectRoot } from '../../src/util/projectRoot';

/** eslint.config.js is CommonJS; its layer table and the boundary rule are exported beside the config. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = require(path.join(projectRoot(), 'eslint.config.js')) as { LAYERS: Record<string, string[]>; layerRule: object };

/** The README's layer table: `| \`layer\` | what | may import |`. */
function readmeLayers(): Record<string, string[]> {
  const readme = fs.readFileSync(path.join(projectRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Layers'), readme.indexOf('\n## ', readme.indexOf('### Layers')));
  const rows = [...section.matchAll(/^\| `([a-z-]+)` \| [^|]+ \| ([^|]+) \|$/gm)];
  return Object.fromEntries(
    rows.map(([, layer, imports]) => {
      const text = imports!.trim();
      return [layer!, text === 'nothing' ? [] : text === 'all of the above' ? ['*'] : text.split(',').map((s) => s.trim())];
    }),
  );
}

async function layerErrors(file: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: projectRoot(), overrideConfigFile: true, overrideConfig: [{ languageOptions: { parser: tsParser } }, config.layerRule] });
  const [result] = await eslint.lintText(code, { filePath: path.join(projectRoot(), file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

describe('the layer diagram', () => {
  test('README table and eslint LAYERS agree, layer by layer', () => {
    const readme = readmeLayers();
    const layers = Object.keys(config.LAYERS);
    expect(Object.keys(readme).sort()).toEqual([...layers].sort());
    for (const layer of layers) {
      const allowed = readme[layer]!;
      const expected = allowed[0] === '*' ? layers.filter((l) => l !== layer) : allowed;
      expect({ layer, imports: [...config.LAYERS[layer]!].sort() }).toEqual({ layer, imports: [...expected].sort() });
    }
  });

  test('every src folder is a layer', () => {
    const folders = fs.readdirSync(path.join(projectRoot(), 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.sort()).toEqual(Object.keys(config.LAYERS).sort());
  });

  test.each([
    ['src/core/probe.ts', "import { createServer } from '../server/createServer';\nexport const x = createServer;"],
    ['src/server/probe.ts', "import { LocalDatastore } from '../datastore/localDatastore';\nexport const x = LocalDatastore;"],
    ['src/infer/probe.ts', "import { ApiError } from '../core/errors';\nimport { wholeBodyRecipe } from '../apps/totalseg/bundleRecipe';\nexport const x = [ApiError, wholeBodyRecipe];"],
    ['src/dicom/probe.ts', "import { DicomWebDatastore } from '../datastore/dicomWebDatastore';\nexport const x = DicomWebDatastore;"],
  ])('a forbidden import fails the rule (%s)', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([expect.stringMatching(/no policy allowing dependencies/)]);
  });

  test('an allowed import passes', async () => {
    expect(await layerErrors('src/server/probe.ts', "import { ApiError } from '../core/errors';\nexport const x = ApiError;")).toEqual([]);
  });
});
