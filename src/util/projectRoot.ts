import * as fs from 'node:fs';
import * as path from 'node:path';

/** The folder holding this package's package.json, from compiled (dist/src/...) or source (src/...) code alike. */
export function projectRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
  }
}
