/** The sluice.dev/* command annotations (src/kube/annotations.ts), shared by the CLI and the daemon. */
import { ANNOTATION, clearCommandPatch, commandAnnotationsPatch, parseCommand } from '../../../src/kube/annotations';

const parse = (annotations: Record<string, string>, resourceVersion = '42') => parseCommand({ annotations, resourceVersion });
const withId = (a: Record<string, string>) => ({ [ANNOTATION.commandId]: 'c-1', [ANNOTATION.by]: 'alice', ...a });

describe('parseCommand', () => {
  it('finds no command when no command annotation is set', () => {
    expect(parse({ [ANNOTATION.by]: 'alice', 'other/annotation': 'x' })).toBeUndefined();
  });

  it.each(['promote', 'abort', 'pause', 'resume', 'retry'] as const)('reads %s with its id and requester', (verb) => {
    expect(parse(withId({ [ANNOTATION.command]: verb }))).toEqual({ _tag: 'Valid', id: 'c-1', by: 'alice', verb });
  });

  it('reads set-weight and shift-to with their values', () => {
    expect(parse(withId({ [ANNOTATION.setWeight]: ' 30 ' }))).toEqual({ _tag: 'Valid', id: 'c-1', by: 'alice', verb: 'set-weight', weight: 30 });
    expect(parse(withId({ [ANNOTATION.setWeight]: '0' }))).toMatchObject({ verb: 'set-weight', weight: 0 });
    expect(parse(withId({ [ANNOTATION.shiftTo]: 'v1.2.3-rc_1' }))).toEqual({ _tag: 'Valid', id: 'c-1', by: 'alice', verb: 'shift-to', version: 'v1.2.3-rc_1' });
  });

  it.each([
    [{ [ANNOTATION.command]: 'promotee' }, 'sluice.dev/command=promotee', 'sluice.dev/command: "promotee" is not a command (expected promote, abort, pause, resume or retry)'],
    [{ [ANNOTATION.command]: 'set-weight' }, 'sluice.dev/command=set-weight', 'sluice.dev/command: "set-weight" needs a value; write it as the sluice.dev/set-weight annotation instead'],
    [{ [ANNOTATION.setWeight]: '140' }, 'sluice.dev/set-weight=140', 'sluice.dev/set-weight: "140" is not an integer from 0 to 100'],
    [{ [ANNOTATION.setWeight]: '12.5' }, 'sluice.dev/set-weight=12.5', 'sluice.dev/set-weight: "12.5" is not an integer from 0 to 100'],
    [{ [ANNOTATION.setWeight]: '-1' }, 'sluice.dev/set-weight=-1', 'sluice.dev/set-weight: "-1" is not an integer from 0 to 100'],
    [{ [ANNOTATION.shiftTo]: 'v 2' }, 'sluice.dev/shift-to=v 2', 'sluice.dev/shift-to: "v 2" is not a valid label value (expected letters, digits, "-", "_" or ".", at most 63 characters)'],
    [
      { [ANNOTATION.command]: 'promote', [ANNOTATION.setWeight]: '40' },
      'sluice.dev/command=promote, sluice.dev/set-weight=40',
      'sluice.dev/command and sluice.dev/set-weight are both set; expected one command at a time',
    ],
    [
      { [ANNOTATION.command]: 'pause', [ANNOTATION.setWeight]: '40', [ANNOTATION.shiftTo]: 'v3' },
      'sluice.dev/command=pause, sluice.dev/set-weight=40, sluice.dev/shift-to=v3',
      'sluice.dev/command, sluice.dev/set-weight and sluice.dev/shift-to are all set; expected one command at a time',
    ],
  ])('rejects %j with a sentence', (annotations, raw, reason) => {
    expect(parse(withId(annotations))).toEqual({ _tag: 'Invalid', id: 'c-1', by: 'alice', raw, reason });
  });

  it('derives a stable id from the values and the resourceVersion when the annotation has none', () => {
    const a = { [ANNOTATION.command]: 'pause' };
    const first = parse(a, '42');
    expect(first?.id).toMatch(/^rv-[0-9a-f]{16}$/);
    expect(parse(a, '42')?.id).toBe(first?.id);
    expect(parse(a, '43')?.id).not.toBe(first?.id);
    expect(parse({ [ANNOTATION.command]: 'resume' }, '42')?.id).not.toBe(first?.id);
    expect(first).not.toHaveProperty('by');
  });
});

describe('command patches', () => {
  it('writes one command and removes any other pending one', () => {
    expect(commandAnnotationsPatch('set-weight', 30, 'alice', 'c-9')).toEqual({
      metadata: {
        annotations: {
          'sluice.dev/command': null,
          'sluice.dev/set-weight': '30',
          'sluice.dev/shift-to': null,
          'sluice.dev/by': 'alice',
          'sluice.dev/command-id': 'c-9',
        },
      },
    });
    expect(commandAnnotationsPatch('promote', undefined, undefined, 'c-10').metadata.annotations).toMatchObject({
      'sluice.dev/command': 'promote', 'sluice.dev/by': null, 'sluice.dev/command-id': 'c-10',
    });
  });

  it('parses back to the command it wrote', () => {
    const { annotations } = commandAnnotationsPatch('shift-to', 'v7', 'bob', 'c-11').metadata;
    const written = Object.fromEntries(Object.entries(annotations).filter((e): e is [string, string] => e[1] !== null));
    expect(parse(written)).toEqual({ _tag: 'Valid', id: 'c-11', by: 'bob', verb: 'shift-to', version: 'v7' });
  });

  it('clears every command annotation, guarded by the resourceVersion when given', () => {
    expect(clearCommandPatch('77')).toEqual({
      metadata: {
        annotations: { 'sluice.dev/command': null, 'sluice.dev/set-weight': null, 'sluice.dev/shift-to': null, 'sluice.dev/by': null, 'sluice.dev/command-id': null },
        resourceVersion: '77',
      },
    });
    expect(clearCommandPatch().metadata).not.toHaveProperty('resourceVersion');
  });
});
