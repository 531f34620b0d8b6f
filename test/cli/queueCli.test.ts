import { runWbct } from './cliHarness';

/** Usage errors of `wbct worker` and `wbct serve --queue`: exit 2 with the reason, before anything connects. */
describe('wbct worker / serve --queue usage', () => {
  test.each([
    [['worker'], /usage: wbct worker --queue/],
    [['worker', '--queue', 'http://x:6379', '--server', 'http://c:8000', '--token', 'a'.repeat(20)], /--queue must be a redis:\/\/ or rediss:\/\/ URL/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--server', 'ftp://c', '--token', 'a'.repeat(20)], /--server must be the coordinator's http\(s\):\/\/ URL/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--server', 'http://c:8000'], /--token \(or WBCT_WORKER_TOKEN\) is required/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--server', 'http://c:8000', '--token', 'short'], /at least 16 characters/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--server', 'http://c:8000', '--token', 'a'.repeat(20), '--name', '../x'], /--name must be/],
    [['worker', '--queue', 'redis://127.0.0.1:1', '--server', 'http://c:8000', '--token', 'a'.repeat(20), '--lock-seconds', '0'], /--lock-seconds must be in \[1, 3600\]/],
    [['serve', '--queue', 'redis://127.0.0.1:1', '--no-pull', '--studies', '/nonexistent-wbct-studies'], /--worker-token \(or WBCT_WORKER_TOKEN\) is required/],
    [['serve', '--queue', 'redis://127.0.0.1:1', '--worker-token', 'a'.repeat(20), '--attempts', '0'], /--attempts must be an integer in \[1, 20\]/],
  ])('wbct %j', async (args, message) => {
    const r = await runWbct(args, { WBCT_WORKER_TOKEN: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
