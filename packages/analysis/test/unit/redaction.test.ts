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

  it('redacts request targets and URLs: query values, fragments and the whole userinfo', () => {
    expect(r.target('/api/items?token=abc&page=2#frag')).toBe(
      `/api/items?token=${REDACTED}&page=2#${REDACTED}`,
    );
    expect(r.target('http://user:pa55@proxy.example/p?key=1')).toBe(
      `http://${REDACTED}@proxy.example/p?key=${REDACTED}`,
    );
    expect(r.target('https://TOKEN123@host.example/')).toBe(`https://${REDACTED}@host.example/`);
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

  it('redacts by rule: sig, code, session, auth, apikey, jwt and friends, keeping the allow-list', () => {
    expect(r.query('sig=a&code=b&session=c&auth=d&apikey=e&APIKey=f&jwt=g&X-Csrf-Token=h')).toBe(
      ['sig', 'code', 'session', 'auth', 'apikey', 'APIKey', 'jwt', 'X-Csrf-Token']
        .map((n) => `${n}=${REDACTED}`)
        .join('&'),
    );
    expect(r.query('country_code=DE&zipCode=10115&status_code=200&author=me&sortKey=a')).toBe(
      'country_code=DE&zipCode=10115&status_code=200&author=me&sortKey=a',
    );
  });

  it('redacts values shaped like secrets whatever their name: JWTs and long random tokens', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123';
    expect(r.target(`/verify/${jwt}/ok`)).toBe(`/verify/${REDACTED}/ok`);
    expect(r.query('ref=Zk3QpL9vX2mN8rT5wY7bC4dF6')).toBe(`ref=${REDACTED}`);
    // ids are not secrets: a UUID, lower-case hex, a long readable word
    const uuid = '/items/4bf92f35-77b3-4da6-a3ce-929d0e0e4736?trace=4bf92f3577b34da6a3ce929d0e0e4736';
    expect(r.target(uuid)).toBe(uuid);
    expect(r.target('/docs/Internationalization2024Guide')).toBe('/docs/Internationalization2024Guide');
  });

  it('redacts ;jsessionid= path parameters and userinfo in a Host header', () => {
    expect(r.target('/shop;jsessionid=ABC123;v=2/cart?x=1')).toBe(
      `/shop;jsessionid=${REDACTED};v=2/cart?x=1`,
    );
    expect(r.host('TOKEN@svc.internal:8080')).toBe(`${REDACTED}@svc.internal:8080`);
    expect(r.host('svc.internal')).toBe('svc.internal');
  });

  it('redacts captured headers by rule, and URL headers as URLs', () => {
    for (const h of ['X-Api-Key', 'X-Auth-Token', 'X-Amz-Security-Token', 'X-Csrf-Token', 'X-Session-Id'])
      expect(r.header(h, 'v')).toBe(REDACTED);
    expect(r.header('Referer', 'http://a.example/p?token=t&q=1')).toBe(
      `http://a.example/p?token=${REDACTED}&q=1`,
    );
    expect(r.header('Location', 'https://u:p@b.example/cb?code=c#id_token=x')).toBe(
      `https://${REDACTED}@b.example/cb?code=${REDACTED}#${REDACTED}`,
    );
    expect(r.header('X-Forwarded-Jwt', 'x')).toBe(REDACTED);
    expect(r.header('X-Trace', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123')).toBe(
      `Bearer ${REDACTED}`,
    );
    expect(r.header('Accept', 'text/html')).toBe('text/html');
    expect(r.header('Access-Control-Allow-Credentials', 'true')).toBe('true');
  });

  it('scans queries and paths of every shape: empty parts, bare tokens, long segments, ; parameters', () => {
    const token = 'Zx9Qm2Lp7Vt4Rk8Wn3Hs6Yb1';
    expect(r.query('a&&b&')).toBe('a&&b&');
    expect(r.query('&token=x&')).toBe(`&token=${REDACTED}&`);
    expect(r.query('=v&page=1')).toBe('=v&page=1');
    expect(r.query(`${token}&page=1&${token}`)).toBe(`${REDACTED}&page=1&${REDACTED}`);
    expect(r.query(`page=${token}`)).toBe(`page=${REDACTED}`);
    // 23 characters: too short to be a token by shape.
    expect(r.query(`page=${token.slice(1)}`)).toBe(`page=${token.slice(1)}`);
    expect(r.query('token=&page=2')).toBe('token=&page=2');
    expect(r.query('x=1=2&token=a=b')).toBe(`x=1=2&token=${REDACTED}`);
    expect(r.target(`/a/${token}/b?page=2`)).toBe(`/a/${REDACTED}/b?page=2`);
    expect(r.target(`/a/${token.slice(1)}/b`)).toBe(`/a/${token.slice(1)}/b`);
    expect(r.target('/a/b;jsessionid=abc/c')).toBe(`/a/b;jsessionid=${REDACTED}/c`);
    expect(r.target('/a/b;v=1/c')).toBe('/a/b;v=1/c');
  });
});
