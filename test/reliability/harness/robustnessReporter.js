// Jest reporter: sums the robustness ledger (test/reliability/harness/ledger.ts) that the test workers wrote during
// this run and prints the counts the README's reliability section shows. Workers inherit WBCT_LEDGER_DIR from here.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const OUTCOMES = ['refused', 'accepted', 'unclear', '5xx', 'hang', 'crash', 'lost-write', 'escalation'];

class RobustnessReporter {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-ledger-'));
    process.env.WBCT_LEDGER_DIR = this.dir;
  }

  onRunComplete() {
    const records = [];
    for (const f of fs.readdirSync(this.dir)) {
      for (const line of fs.readFileSync(path.join(this.dir, f), 'utf8').split('\n')) if (line.trim()) records.push(JSON.parse(line));
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    if (records.length === 0) return;
    const byArea = new Map();
    for (const r of records) {
      const counts = byArea.get(r.area) ?? Object.fromEntries(OUTCOMES.map((o) => [o, 0]));
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      byArea.set(r.area, counts);
    }
    const total = Object.fromEntries(OUTCOMES.map((o) => [o, records.filter((r) => r.outcome === o).length]));
    const row = (name, c) => `| ${name} | ${OUTCOMES.reduce((s, o) => s + c[o], 0)} | ${OUTCOMES.map((o) => c[o]).join(' | ')} |`;
    const lines = [
      '',
      'Robustness suite (test/reliability): cases per area and outcome',
      `| area | cases | ${OUTCOMES.join(' | ')} |`,
      `|---|---|${OUTCOMES.map(() => '---').join('|')}|`,
      ...[...byArea.keys()].sort().map((a) => row(a, byArea.get(a))),
      row('**all**', total),
      '',
    ];
    for (const r of records.filter((x) => !['refused', 'accepted'].includes(x.outcome))) {
      lines.push(`FAILED CASE [${r.area}] ${r.name}: ${r.outcome}${r.status ? ` ${r.status}` : ''}${r.detail ? ` ${r.detail}` : ''}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
}

module.exports = RobustnessReporter;
