import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../src/util/projectRoot';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it), or the one WBCT_CHROMIUM names. */
export const CHROMIUM = process.env.WBCT_CHROMIUM ?? '/usr/bin/chromium';
const PAGE = path.join(projectRoot(), 'dist', 'web', 'index.html');

/** Why the browser tests cannot run here, or null. */
export function browserUnavailable(): string | null {
  if (!fs.existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (apt-get install chromium, or set WBCT_CHROMIUM)`;
  if (!fs.existsSync(PAGE)) return `the page is not built (${PAGE}; npm run build)`;
  return null;
}

export function describeWithBrowser(name: string, fn: () => void): void {
  const missing = browserUnavailable();
  if (missing) describe.skip(`${name} [SKIPPED: ${missing}]`, fn);
  else describe(name, fn);
}

/** Headless Chromium, offline, with WebGL2 on SwiftShader (no GPU here). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Every console error and uncaught exception of a page, to assert there were none. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.request().method()} ${r.url()}`);
  });
  return errors;
}
