#!/usr/bin/env node
// Copies the web page's static files (web/public) next to its compiled scripts (dist/web), which `wbct serve` serves.
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'web', 'public');
const to = path.join(root, 'dist', 'web');
fs.mkdirSync(to, { recursive: true });
for (const name of fs.readdirSync(from)) fs.copyFileSync(path.join(from, name), path.join(to, name));
