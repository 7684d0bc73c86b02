import { markAuthor, parseCommand } from '../../../src/kube/annotations';

describe('markAuthor: a sluice.dev/by no admission policy vouches for', () => {
  const pause = parseCommand({ annotations: { 'sluice.dev/command': 'pause', 'sluice.dev/by': 'alice', 'sluice.dev/command-id': 'c1' } });

  it('is marked unverified in the command (so in history and the Event)', () => {
    expect(markAuthor(pause, false)).toEqual({ _tag: 'Valid', verb: 'pause', id: 'c1', by: 'alice (unverified)' });
  });

  it('is kept as it is when the policy wrote it', () => {
    expect(markAuthor(pause, true)).toBe(pause);
  });

  it('leaves a command without a name, and no command, alone', () => {
    const unnamed = parseCommand({ annotations: { 'sluice.dev/command': 'pause', 'sluice.dev/command-id': 'c2' } });
    expect(markAuthor(unnamed, false)).toBe(unnamed);
    expect(markAuthor(undefined, false)).toBeUndefined();
  });
});

describe('parseCommand bounds what reaches status', () => {
  it('clips a huge sluice.dev/by and a huge invalid command text', () => {
    const c = parseCommand({ annotations: { 'sluice.dev/command': 'x'.repeat(100_000), 'sluice.dev/by': 'y'.repeat(10_000), 'sluice.dev/command-id': 'c-1' } });
    expect(c?._tag).toBe('Invalid');
    expect(c!.by!.length).toBeLessThan(300);
    expect(c!.by).toMatch(/\.\.\. \(10000 characters\)$/);
    if (c?._tag === 'Invalid') {
      expect(c.raw.length).toBeLessThan(250);
      expect(c.reason.length).toBeLessThan(250);
    }
  });
});
