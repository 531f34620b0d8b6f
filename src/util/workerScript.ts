import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from './projectRoot';

/**
 * The JavaScript file for a worker-thread entry next to `fromDir`. Compiled code finds it beside itself; code run
 * from TypeScript sources (jest) uses the compiled twin under dist/, which `npm test` builds first.
 */
export function workerScript(fromDir: string, baseName: string): string {
  const beside = path.join(fromDir, `${baseName}.js`);
  if (fs.existsSync(beside)) return beside;
  const root = projectRoot();
  const rel = path.relative(root, fromDir);
  const compiled = path.join(root, 'dist', rel, `${baseName}.js`);
  if (fs.existsSync(compiled)) return compiled;
  throw new Error(`worker script ${baseName}.js not found beside ${fromDir} or at ${compiled}; run \`npm run build\``);
}
