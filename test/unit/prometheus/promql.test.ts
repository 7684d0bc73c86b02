import * as E from 'fp-ts/Either';
import fc from 'fast-check';
import { escapeString, promAlternation, promString, quoteRegex, renderTemplate } from '../../../src/prometheus/promql';
import { lexStrings, regexMatches } from './fixtures';

const values = { namespace: 'shop', service: 'reviews', version: 'v2', interval: '30s' };
const HOSTILE = 'a"}or vector(1)#';

describe('PromQL strings', () => {
  it('escapes quotes, backslashes and control characters so the value stays one literal', () => {
    expect(promString(HOSTILE)).toBe('"a\\"}or vector(1)#"');
    expect(promString('a\\b\nc\u0001')).toBe('"a\\\\b\\nc\\x01"');
    expect(escapeString("it's \"x\"", "'")).toBe("it\\'s \"x\"");
  });

  it('replaces a lone surrogate, which no PromQL escape can express', () => {
    expect(promString('a\uD800b')).toBe('"a\uFFFDb"');
  });

  it('reads back as exactly the value for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (v) => {
        expect(lexStrings(`x{a=${promString(v)}}`)).toEqual({ skeleton: 'x{a=S}', strings: [v] });
      }),
    );
  });
});

describe('PromQL regex alternations', () => {
  it('quotes regex metacharacters so ".*" matches only itself', () => {
    expect(quoteRegex('.*')).toBe('\\.\\*');
    expect(promAlternation(['.*'])).toBe('"\\\\.\\\\*"');
    const [pattern] = lexStrings(promAlternation(['.*'])).strings;
    expect(regexMatches(pattern!, '.*')).toBe(true);
    expect(regexMatches(pattern!, 'prod')).toBe(false);
  });

  it('sorts and de-duplicates the values', () => {
    expect(promAlternation(['b', 'a', 'b'])).toBe('"a|b"');
  });

  it('matches exactly the given values and nothing else, for any values', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 4 }), fc.string(), (vs, other) => {
        const [pattern] = lexStrings(promAlternation(vs)).strings;
        for (const v of vs) expect(regexMatches(pattern!, v)).toBe(true);
        expect(regexMatches(pattern!, other)).toBe(vs.includes(other));
      }),
    );
  });
});

describe('renderTemplate', () => {
  const render = (template: string, version = 'v2') => renderTemplate(template, { ...values, version });

  it('fills every placeholder, with the interval as written', () => {
    expect(render('sum(increase(http_requests_total{namespace="{{namespace}}", service="{{ service }}", version="{{version}}"}[{{interval}}]))')).toEqual(
      E.right('sum(increase(http_requests_total{namespace="shop", service="reviews", version="v2"}[30s]))'),
    );
  });

  it('keeps a hostile value inside its string literal', () => {
    const out = render('sum(x{version="{{version}}"})', HOSTILE);
    expect(E.isRight(out) && lexStrings(out.right)).toEqual({ skeleton: 'sum(x{version=S})', strings: [HOSTILE] });
  });

  it('quotes regex metacharacters when the placeholder stands in a regex matcher', () => {
    const out = render('sum(x{version=~"{{version}}", pod!~ "{{version}}-.*"})', '.*');
    expect(out).toEqual(E.right('sum(x{version=~"\\\\.\\\\*", pod!~ "\\\\.\\\\*-.*"})'));
  });

  it('escapes for single-quoted strings and keeps raw strings raw', () => {
    expect(render("x{v='{{version}}'}", "it's")).toEqual(E.right("x{v='it\\'s'}"));
    expect(render('x{v=~`{{version}}`}', 'a.b')).toEqual(E.right('x{v=~`a\\.b`}'));
  });

  it('refuses a value with a backtick inside a raw string', () => {
    expect(render('x{v=`{{version}}`}', 'a`b')).toEqual(
      E.left('the version "a`b" contains a backtick and cannot be placed in a raw (`…`) string'),
    );
  });

  it('renders a placeholder outside any string as a quoted string', () => {
    expect(render('label_replace(x, "v", {{version}}, "", "")', HOSTILE)).toEqual(E.right(`label_replace(x, "v", "a\\"}or vector(1)#", "", "")`));
  });

  it('does not take quotes in comments or escaped quotes for string boundaries', () => {
    expect(render('x{a="q\\"{{version}}"} # don\'t {{version}}')).toEqual(E.right('x{a="q\\"v2"} # don\'t "v2"'));
  });

  it('ends a comment at the end of its line: a string on the next line is a string again', () => {
    expect(render('x # note\nsum(y{v="{{version}}"})')).toEqual(E.right('x # note\nsum(y{v="v2"})'));
  });

  it('names an unknown placeholder', () => {
    expect(render('x{pod="{{pod}}"}')).toEqual(
      E.left('unknown placeholder {{pod}} (expected {{namespace}}, {{service}}, {{version}} or {{interval}})'),
    );
  });

  it('never lets any value change the query outside its literal', () => {
    const template = 'sum(increase(r{ns="{{namespace}}", v=~"{{version}}"}[{{interval}}])) / {{service}}';
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (namespace, service, version) => {
        const out = renderTemplate(template, { namespace, service, version, interval: '1m' });
        if (E.isLeft(out)) throw new Error(out.left);
        const { skeleton, strings } = lexStrings(out.right);
        expect(skeleton).toBe('sum(increase(r{ns=S, v=~S}[1m])) / S');
        expect(strings[0]).toBe(namespace);
        expect(regexMatches(strings[1]!, version)).toBe(true);
        expect(strings[2]).toBe(service);
      }),
    );
  });
});
