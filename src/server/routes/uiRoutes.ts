import * as fs from 'node:fs';
import * as path from 'node:path';
import express, { Router } from 'express';
import type { ServerContext } from '../serverContext';
import { labelColorRgb } from '../../core/labelColors';

/** The web page's files: its own folder, and single files from elsewhere (a viewer library's bundle) under names. */
export interface UiAssets {
  /** Served at `/ui/` (index.html also at `/`). */
  readonly root: string;
  /** Extra files by the URL path below `/ui/` they answer at, e.g. `vendor/niivue.js` -> the package's bundle. */
  readonly files: Readonly<Record<string, string>>;
}

/**
 * The browser page at `/` and `/ui/`. The files need no login (the page holds no data); every call the page makes
 * goes to the API with the user's token. `/ui/config.json` tells the page what this server offers.
 */
export function uiRoutes(ctx: ServerContext, assets: UiAssets): Router {
  const router = Router();
  const index = path.join(assets.root, 'index.html');
  const sendIndex = (res: express.Response) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  };
  router.get('/', (_req, res) => sendIndex(res));
  router.get('/ui', (_req, res) => sendIndex(res));
  router.get('/ui/config.json', (_req, res) => {
    res.json({ auth: ctx.auth.enabled, dicom: ctx.app.datastore.derivedDicomFor !== undefined, app: ctx.app.name, version: ctx.app.version, labels: labelTable(ctx) });
  });
  for (const [urlPath, file] of Object.entries(assets.files)) {
    router.get(`/ui/${urlPath}`, (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(file);
    });
  }
  router.use('/ui', express.static(assets.root, { index: 'index.html', dotfiles: 'ignore', fallthrough: true, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  return router;
}

/** Label value -> name and colour over the app's models (a list of names counts from 1, as MONAI Label's). */
function labelTable(ctx: ServerContext): Record<string, { name: string; color: [number, number, number] }> {
  const table: Record<string, { name: string; color: [number, number, number] }> = {};
  for (const task of ctx.app.infers.values()) {
    const labels = task.info().labels;
    const entries: [string, number][] = Array.isArray(labels) ? (labels as readonly string[]).map((name, i) => [name, i + 1]) : Object.entries(labels as Readonly<Record<string, number>>);
    for (const [name, value] of entries) table[String(value)] ??= { name, color: labelColorRgb(value) };
  }
  return table;
}

/** Whether the page's files are there (a build that skipped the page serves the API alone). */
export function uiAssetsPresent(assets: UiAssets): boolean {
  return fs.existsSync(path.join(assets.root, 'index.html')) && Object.values(assets.files).every((f) => fs.existsSync(f));
}
