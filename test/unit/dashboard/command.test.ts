import { FileIo } from '../../../src/cli/output';
import { runDashboard } from '../../../src/dashboard/command';

const run = async (args: string[]) => {
  const out = { stdout: '', stderr: '' };
  const io: FileIo = {
    readFile: () => {
      throw new Error('no files here');
    },
    stdout: (t) => void (out.stdout += t),
    stderr: (t) => void (out.stderr += t),
  };
  return { code: await runDashboard(args, io), ...out };
};

describe('sluice dashboard arguments (before it touches a cluster)', () => {
  it.each([
    [['--port', '70000'], 'sluice dashboard: --port: "70000" is not a port number (expected 0..65535; 0 picks a free one)'],
    [['--port=http'], 'sluice dashboard: --port: "http" is not a port number (expected 0..65535; 0 picks a free one)'],
    [['--prometheus-url', 'not a url'], 'sluice dashboard: --prometheus-url: "not a url" is not a URL (expected e.g. "http://127.0.0.1:9090")'],
    [['--adress', '0.0.0.0'], 'sluice dashboard: unknown flag --adress'],
    [['-A', '-n', 'shop'], 'sluice dashboard: -n and -A cannot be used together'],
    [['shop'], 'sluice dashboard: unexpected argument "shop"'],
  ])('%j: one line with the usage, exit 2', async (args, line) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`${line} (usage: sluice dashboard [--port 3100] [--address 127.0.0.1] [-n NAMESPACE | -A] [--prometheus-url URL] [--by WHO] [--kubeconfig FILE])\n`);
  });
});
