#!/usr/bin/env node
/*
 * Builds the optional oneDNN addon (native/dnnl) with npm's own node-gyp, offline: the Node headers come from the
 * system (--nodedir=/usr, Debian's /usr/include/node) or from node-gyp's cache. Never fails the install: without a
 * compiler, make or Debian's libdnnl-dev it prints why and the package runs on onnxruntime alone.
 * `npm run build:native` runs it again (e.g. after `apt-get install g++ make libdnnl-dev`); WBCT_SKIP_NATIVE=1 skips it.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const dir = path.join(__dirname, '..', 'native', 'dnnl');
const strict = process.argv.includes('--strict');

function skip(reason) {
  console.log(`wbct: oneDNN addon not built (${reason}); the network runs on onnxruntime.`);
  process.exit(strict ? 1 : 0);
}

if (process.env.WBCT_SKIP_NATIVE === '1') skip('WBCT_SKIP_NATIVE=1');
const header = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'].find((f) => fs.existsSync(f));
if (!header) skip('no oneapi/dnnl/dnnl.hpp: apt-get install libdnnl-dev');
for (const tool of ['g++', 'make']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) skip(`no ${tool}: apt-get install g++ make`);
}
const gyp = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')].find(
  (f) => f && fs.existsSync(f),
);
if (!gyp) skip("npm's node-gyp not found");
const args = [gyp, 'rebuild'];
const systemHeaders = path.join(path.dirname(process.execPath), '..', 'include', 'node', 'node_api.h');
if (fs.existsSync(systemHeaders)) args.push(`--nodedir=${path.resolve(path.dirname(process.execPath), '..')}`);
const started = Date.now();
const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8' });
if (r.status !== 0) {
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error|Error/.test(l)).slice(0, 5);
  skip(`node-gyp failed: ${lines.join(' | ') || `exit ${r.status}`}`);
}
console.log(`wbct: oneDNN addon built in ${((Date.now() - started) / 1000).toFixed(1)} s (native/dnnl/build/Release/wbct_dnnl.node)`);
