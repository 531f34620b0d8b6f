#!/usr/bin/env node
import { convertCommand, convertUsage } from './commands/convert';
import { modelsCommand, modelsUsage } from './commands/models';
import { segmentCommand, segmentUsage } from './commands/segment';
import { serveCommand, serveUsage } from './commands/serve';
import { workerCommand, workerUsage } from './commands/worker';
import { UsageError } from './usageError';

const commands: Record<string, { run: (argv: string[]) => Promise<void>; usage: string }> = {
  segment: { run: segmentCommand, usage: segmentUsage },
  serve: { run: serveCommand, usage: serveUsage },
  convert: { run: convertCommand, usage: convertUsage },
  models: { run: modelsCommand, usage: modelsUsage },
  worker: { run: workerCommand, usage: workerUsage },
};

const usage = `usage:\n${Object.values(commands).map((c) => `  ${c.usage}`).join('\n')}\n`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) {
    process.stderr.write(`wbct: unknown command "${name}"\n${usage}`);
    return 2;
  }
  try {
    await cmd.run(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`wbct ${name}: ${(e as Error).message}\nusage: ${cmd.usage}\n`);
      return 2;
    }
    process.stderr.write(`wbct ${name}: ${(e as Error).message}\n`);
    return 1;
  }
}

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
