import { HistoryEntry } from '../../../src/api/status';
import { judgeCommand, markOf } from '../../../src/cli/wait';
import { ANNOTATION } from '../../../src/kube/annotations';
import { shift } from './commandsFixtures';

const entry = (n: number, event = 'StepAdvanced', message = `entry ${n}`): HistoryEntry => ({ time: `2026-11-22T02:${String(n).padStart(2, '0')}:00Z`, event, message });

describe('judgeCommand', () => {
  const before = shift('shop', 'reviews', { status: { history: [entry(1), entry(2)] }, annotations: { [ANNOTATION.commandId]: 'c1' } });
  const mark = markOf(before);

  it('is pending while the annotation still carries the id, even after status records it', () => {
    const half = shift('shop', 'reviews', { status: { lastCommandId: 'c1' }, annotations: { [ANNOTATION.commandId]: 'c1' } });
    expect(judgeCommand(half, 'c1', mark)).toEqual({ _tag: 'Pending' });
  });

  it('is pending when the annotation is gone but status does not name the command yet', () => {
    expect(judgeCommand(shift('shop', 'reviews', { status: { history: [entry(1), entry(2)] } }), 'c1', mark)).toEqual({ _tag: 'Pending' });
  });

  it('finds the verdict among the entries written after the command, not an older one', () => {
    const old = entry(0, 'CommandRejected', 'pause by bob rejected: already paused');
    const after = shift('shop', 'reviews', {
      status: { lastCommandId: 'c1', history: [old, entry(1), entry(2), entry(3, 'CommandApplied', 'pause by alice: paused'), entry(4)] },
    });
    expect(judgeCommand(after, 'c1', markOf(shift('shop', 'reviews', { status: { history: [old, entry(1), entry(2)] } })))).toEqual({
      _tag: 'Applied', message: 'pause by alice: paused',
    });
  });

  it('still finds the verdict when the bounded history scrolled the mark out', () => {
    const after = shift('shop', 'reviews', { status: { lastCommandId: 'c1', history: [entry(3), entry(4, 'CommandRejected', 'abort by alice rejected: nothing to abort')] } });
    expect(judgeCommand(after, 'c1', mark)).toEqual({ _tag: 'Rejected', message: 'abort by alice rejected: nothing to abort' });
  });
});
