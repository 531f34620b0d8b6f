import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { freePort } from '../../helpers/freePort';
import * as path from 'node:path';
import { waitFor } from '../../helpers/waitFor';
import { tempDir } from './syntheticSeries';

export const ORTHANC_USER = { username: 'wbct', password: 'orthanc-test-secret' };
const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';

export interface RunningOrthanc {
  /** Orthanc's own REST root, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** The DICOMweb root, e.g. http://127.0.0.1:PORT/dicom-web */
  readonly dicomWebUrl: string;
  readonly authHeader: string;
  stop(): Promise<void>;
}


/**
 * Starts a throw-away Orthanc with the DICOMweb plugin: random free HTTP port, storage in a temp folder, basic auth,
 * no DICOM (DIMSE) listener, remote access refused (Orthanc 1.10 has no bind-address option; only loopback clients
 * are served). Resolves once `/system` answers.
 */
export async function startOrthanc(): Promise<RunningOrthanc> {
  const dir = tempDir('orthanc');
  const port = await freePort();
  const config = {
    Name: 'wbct-test',
    StorageDirectory: path.join(dir, 'storage'),
    IndexDirectory: path.join(dir, 'index'),
    HttpPort: port,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: true,
    RegisteredUsers: { [ORTHANC_USER.username]: ORTHANC_USER.password },
    Plugins: [DICOMWEB_PLUGIN],
    DicomWeb: { Enable: true, Root: '/dicom-web/' },
  };
  const configPath = path.join(dir, 'orthanc.json');
  fs.writeFileSync(configPath, JSON.stringify(config, null, 2));
  const log = fs.openSync(path.join(dir, 'orthanc.log'), 'w');
  const child: ChildProcess = spawn('Orthanc', [configPath], { stdio: ['ignore', log, log] });
  const url = `http://127.0.0.1:${port}`;
  const authHeader = `Basic ${Buffer.from(`${ORTHANC_USER.username}:${ORTHANC_USER.password}`).toString('base64')}`;
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = async () => {
    if (exited) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  };
  const answers = async (): Promise<boolean> => {
    if (exited) throw new Error(`Orthanc exited during start-up; see ${path.join(dir, 'orthanc.log')}`);
    try {
      return (await fetch(`${url}/system`, { headers: { Authorization: authHeader } })).ok;
    } catch {
      return false; // not listening yet
    }
  };
  try {
    await waitFor(answers, { what: `Orthanc to answer on ${url}`, timeoutMs: 30_000, intervalMs: 200, detail: () => `see ${path.join(dir, 'orthanc.log')}` });
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, dicomWebUrl: `${url}/dicom-web`, authHeader, stop };
}

/** Loads files through Orthanc's own REST API (not DICOMweb), so the client under test is not also the loader. */
export async function uploadToOrthanc(orthanc: RunningOrthanc, files: readonly string[]): Promise<void> {
  for (const file of files) {
    const res = await fetch(`${orthanc.url}/instances`, { method: 'POST', headers: { Authorization: orthanc.authHeader, 'Content-Type': 'application/dicom' }, body: fs.readFileSync(file) });
    if (!res.ok) throw new Error(`Orthanc refused ${file}: HTTP ${res.status} ${await res.text()}`);
  }
}
