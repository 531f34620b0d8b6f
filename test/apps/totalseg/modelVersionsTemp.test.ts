import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelVersions } from '../../../src/apps/totalseg/modelVersions';
import { tempPathFor } from '../../../src/util/atomicWrite';

/** A server killed while writing a model version leaves `tempPathFor` files; the next start removes those of dead writers only. */
test('ModelVersions removes temp files of dead writers at start and keeps live ones', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-versions-'));
  try {
    fs.mkdirSync(path.join(dir, 'versions'));
    // A pid that certainly exited: a child that has already been reaped.
    const deadPid = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const dead = [
      path.join(dir, `.active.json.${deadPid}.0badc0de.tmp`),
      path.join(dir, 'versions', `.model.20261201T000000Z.pt.${deadPid}.deadbeef.tmp`),
      path.join(dir, 'versions', `.model.20261201T000000Z.onnx.${deadPid}.0a1b2c3d.tmp`),
    ];
    const live = tempPathFor(path.join(dir, 'versions', 'model.20261202T000000Z.pt'));
    const kept = [live, path.join(dir, 'model.pt'), path.join(dir, 'versions', '.notes.tmp')];
    for (const f of [...dead, ...kept]) fs.writeFileSync(f, 'x');
    new ModelVersions(dir);
    expect(dead.filter((f) => fs.existsSync(f))).toEqual([]);
    expect(kept.filter((f) => !fs.existsSync(f))).toEqual([]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
