import { SingleBar, Presets } from 'cli-progress';

/** A stderr progress bar with ETA; silent (no bar) when stderr is not a terminal, so logs stay readable. */
export function makeProgressBar(label: string, unit = ''): { update: (done: number, total: number) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
    let lastPct = -1;
    return {
      update: (done, total) => {
        const pct = total ? Math.floor((100 * done) / total / 10) * 10 : 0;
        if (pct !== lastPct) {
          lastPct = pct;
          process.stderr.write(`${label}: ${done}/${total}${unit} (${pct}%)\n`);
        }
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total}${unit} | {percentage}% | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update: (done, total) => {
      if (!started) {
        bar.start(total, done);
        started = true;
      }
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => started && bar.stop(),
  };
}
