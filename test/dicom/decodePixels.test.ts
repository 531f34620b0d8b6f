import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseSlice } from '../../src/dicom/parseSlice';
import { defined } from '../helpers/defined';
import { describeWithTools, run, SYSTEM_PYTHON } from './helpers/externalTools';
import { removeTempDirs, tempDir } from './helpers/syntheticSeries';

afterAll(removeTempDirs);

/** Real scanner images that Debian's python3-pydicom ships as test data. */
const PYDICOM_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

const SYNTAXES: [string, string][] = [
  ['explicit VR little endian', '+te'],
  ['implicit VR little endian', '+ti'],
  ['explicit VR big endian', '+tb'],
  ['deflated explicit VR little endian', '+td'],
];

describeWithTools(['dcmconv', 'pydicom'], 'pixel decoding agrees with pydicom on real CT/MR slices in every native transfer syntax', () => {
  const work = tempDir('pixels');
  const decodeWithPydicom = (file: string) => {
    const out = path.join(work, `${path.basename(file)}.f32`);
    const r = run(SYSTEM_PYTHON, [path.join(__dirname, 'tools', 'pixels_to_raw.py'), file, out]);
    if (r.status !== 0) throw new Error(r.stderr);
    const b = fs.readFileSync(out);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };

  it.each(SYNTAXES.flatMap(([name, flag]) => ['CT_small.dcm', 'MR_small.dcm'].map((f) => [f, name, flag] as const)))('%s as %s', (file, _name, flag) => {
    const converted = path.join(work, `${flag}_${file}`);
    expect(run('dcmconv', [flag, path.join(PYDICOM_FILES, file), converted]).status).toBe(0);
    const slice = defined(parseSlice(converted, new Uint8Array(fs.readFileSync(converted))), `a parsed slice of ${converted}`);
    const ours = slice.pixels();
    const theirs = decodeWithPydicom(converted);
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.from(ours.buffer).equals(Buffer.from(theirs.buffer))).toBe(true);
  });

  it('a JPEG-compressed slice gets an error naming the file and the remedy', () => {
    const file = path.join(work, 'jpeg.dcm');
    expect(run('dcmconv', ['+te', path.join(PYDICOM_FILES, 'CT_small.dcm'), path.join(work, 'le.dcm')]).status).toBe(0);
    expect(run('dcmcjpeg', [path.join(work, 'le.dcm'), file]).status).toBe(0);
    const slice = parseSlice(file, new Uint8Array(fs.readFileSync(file)));
    expect(() => slice!.pixels()).toThrow(/jpeg\.dcm: compressed transfer syntax 1\.2\.840\.10008\.1\.2\.4\.\d+ is not supported; convert/);
  });
});
