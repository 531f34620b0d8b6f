import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { projectRoot } from '../../src/util/projectRoot';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the compiled `wbct` (dist/, built by `npm test`) with arguments; never throws on a non-zero exit. A child ended
 * by a signal (no exit code: a crash, or killed from outside) rejects with the signal and what it printed.
 */
export function runWbct(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(projectRoot(), 'dist', 'src', 'cli', 'main.js'), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === null) reject(new Error(`wbct ${args.join(' ')}: ended by ${signal}\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`));
      else resolve({ code, stdout, stderr });
    });
  });
}
