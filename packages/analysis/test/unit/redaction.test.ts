import { describe, expect, it } from 'vitest';
import { REDACTED, Redactor } from '../../src/dissect/redaction.js';

describe('Redactor', () => {
  const r = new Redactor();

  it('replaces the values of secret query parameters, by whole name or by word, ignoring case', () => {
    expect(r.query('token=abc&page=2')).toBe(`token=${REDACTED}&page=2`);
    expect(r.query('PASSWORD=x&Secret=y&api_key=z&apiKey=w')).toBe(
      `PASSWORD=${REDACTED}&Secret=${REDACTED}&api_key=${REDACTED}&apiKey=${REDACTED}`,
    );
    expect(r.query('X-Amz-Signature=abc&X-Amz-Security-Token=def&X-Amz-Date=1')).toBe(
      `X-Amz-Signature=${REDACTED}&X-Amz-Security-Token=${REDACTED}&X-Amz-Date=1`,
    );
    expect(r.query('%74oken=abc')).toBe(`%74oken=${REDACTED}`); // percent-encoded name
  });

  it('leaves other parameters alone, including ones that merely contain a secret word', () => {
    expect(r.query('keyword=shoes&monkey=1&tokenizer=x')).toBe('keyword=shoes&monkey=1&tokenizer=x');
    expect(r.query('token')).toBe('token'); // no value to hide
  });

  it('redacts request targets and URLs: query values and userinfo passwords', () => {
    expect(r.target('/api/items?token=abc&page=2#frag')).toBe(`/api/items?token=${REDACTED}&page=2#frag`);
    expect(r.target('http://user:pa55@proxy.example/p?key=1')).toBe(
      `http://user:${REDACTED}@proxy.example/p?key=${REDACTED}`,
    );
    expect(r.target('/plain/path')).toBe('/plain/path');
  });

  it('redacts Authorization, Cookie and Set-Cookie values, and is configurable', () => {
    expect(r.header('Authorization', 'Bearer x')).toBe(REDACTED);
    expect(r.header('cookie', 'a=b')).toBe(REDACTED);
    expect(r.header('Set-Cookie', 'a=b')).toBe(REDACTED);
    expect(r.header('User-Agent', 'curl')).toBe('curl');
    const custom = new Redactor({ queryParameters: ['session'], headers: ['x-api-key'] });
    expect(custom.query('session=1&token=2')).toBe(`session=${REDACTED}&token=2`);
    expect(custom.header('X-Api-Key', 'k')).toBe(REDACTED);
  });
});
