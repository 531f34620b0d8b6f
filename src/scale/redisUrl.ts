/** Checks a `--queue` value: `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
export function checkRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`--queue must be a redis:// URL, got "${url}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new Error(`--queue must be a redis:// or rediss:// URL, got "${url}"`);
  if (!parsed.hostname) throw new Error(`--queue needs a host: "${url}"`);
  return url;
}

/** The URL without its password, for logs and messages. */
export function redactedRedisUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}
