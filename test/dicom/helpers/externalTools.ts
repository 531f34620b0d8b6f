import { spawnSync } from 'node:child_process';

/** Debian's python3 (python3-pydicom, python3-numpy); a pyenv `python3` earlier on PATH lacks them. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

function hasPydicom(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import pydicom, numpy']).status === 0;
}

/**
 * `describe` when the Debian tools are installed (`.ci/run` installs them). Elsewhere the block is skipped visibly,
 * except under CI, where a missing tool must fail rather than pass silently.
 */
export function describeWithTools(tools: readonly string[], name: string, fn: () => void): void {
  const missing = tools.filter((t) => (t === 'pydicom' ? !hasPydicom() : !hasCommand(t)));
  if (missing.length === 0 || process.env.CI) {
    describe(name, fn);
    return;
  }
  describe.skip(`${name} [SKIPPED: missing ${missing.join(', ')}; apt-get install dcmtk dicom3tools plastimatch python3-pydicom orthanc orthanc-dicomweb]`, fn);
}

export function run(cmd: string, args: readonly string[], timeoutMs = 120_000): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * dciodvfy (dicom3tools) on a file, one run: its "Error" lines (the IOD validation this project holds every written
 * object to), and its "Warning" lines about coded entries (coding scheme designator, code value or meaning), which a
 * SEG's standard segment codes must not raise either.
 */
export function dciodvfyFindings(file: string): { errors: string[]; codeWarnings: string[] } {
  const r = run('dciodvfy', [file]);
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  return { errors: lines.filter((l) => /^Error/.test(l)), codeWarnings: lines.filter((l) => /^Warning/.test(l) && /Cod(e|ing)/i.test(l)) };
}

export function dciodvfyErrors(file: string): string[] {
  return dciodvfyFindings(file).errors;
}

/** dcmdump (dcmtk) errors: non-zero exit or "E:" lines mean the file does not parse cleanly. */
export function dcmdumpErrors(file: string): string[] {
  const r = run('dcmdump', ['-q', '+L', file]);
  const errors = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /^E:/.test(l));
  if (r.status !== 0) errors.push(`dcmdump exit status ${r.status}`);
  return errors;
}
