import * as fs from 'node:fs';
import * as path from 'node:path';
import JSZip from 'jszip';

/** One candidate DICOM file: its bytes and where it came from. */
export interface DicomSource {
  readonly name: string;
  readonly bytes: Uint8Array;
}

function listFilesRecursive(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFilesRecursive(full));
    else if (entry.isFile()) out.push(full);
  }
  return out.sort();
}

async function readZip(file: string): Promise<DicomSource[]> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(fs.readFileSync(file));
  } catch (e) {
    throw new Error(`${file}: not a readable zip archive (${(e as Error).message})`);
  }
  const entries = Object.values(zip.files).filter((f) => !f.dir).sort((a, b) => a.name.localeCompare(b.name));
  const out: DicomSource[] = [];
  for (const entry of entries) out.push({ name: `${file}:${entry.name}`, bytes: await entry.async('uint8array') });
  return out;
}

/** Every file under a folder (recursively) or inside a .zip, sorted by name; no DICOM check yet. */
export async function loadDicomSources(pathOrZip: string): Promise<DicomSource[]> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(pathOrZip);
  } catch {
    throw new Error(`${pathOrZip}: no such file or folder`);
  }
  if (stat.isDirectory()) {
    return listFilesRecursive(pathOrZip).map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(name)) }));
  }
  if (pathOrZip.toLowerCase().endsWith('.zip')) return readZip(pathOrZip);
  throw new Error(`${pathOrZip}: expected a folder of DICOM files or a .zip of them`);
}
