import * as fs from 'node:fs';
import * as path from 'node:path';
import type { UiAssets } from '../server/routes/uiRoutes';
import { projectRoot } from '../util/projectRoot';

/** Where npm put a package (its `exports` allow no `require.resolve` of plain files): the usual node_modules walk. */
function packageDir(name: string): string | null {
  for (const dir of require.resolve.paths(name) ?? []) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
  }
  return null;
}

/** The page built into dist/web and NiiVue's self-contained ES module bundle, served from the package, no CDN. */
export function webAssets(): UiAssets | null {
  const niivue = packageDir('@niivue/niivue');
  if (!niivue) return null;
  const bundle = path.join(niivue, 'dist', 'index.js');
  return { root: path.join(projectRoot(), 'dist', 'web'), files: { 'vendor/niivue/index.js': bundle, 'vendor/niivue/index.js.map': `${bundle}.map` } };
}
