import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseByteSize } from '../../src/config/byte-size.js';
import { ReceiverConfigError } from '../../src/config/config-error.js';
import { readConfigFile, resolveReceiverConfig } from '../../src/config/load-receiver-config.js';

const dir = mkdtempSync(join(tmpdir(), 'fm-receive-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ReceiverConfigError);
    expect((error as ReceiverConfigError).code).toBe('RECEIVER_CONFIG_INVALID');
    return (error as ReceiverConfigError).problems;
  }
  throw new Error('expected a ReceiverConfigError');
}

describe('receiver configuration', () => {
  it('fills in the documented defaults', () => {
    const c = resolveReceiverConfig({});
    expect(c).toMatchObject({
      port: 4789,
      genevePort: 6081,
      bind: '::',
      workers: 1,
      recvBuffer: 32 * 1024 * 1024,
      outDir: 'fargate-mirror-out',
      healthPort: 9180,
      drainSeconds: 5,
      logLevel: 'warn',
      pcapMaxTotal: 10 * 1024 ** 3,
    });
    expect(c.pcapDir).toBeUndefined();
    expect(c.records).toBeUndefined();
    expect(c.health).toMatchObject({ unhealthyAfter: 2, healthyAfter: 3 });
    expect(c.flows.udpIdleSeconds).toBe(60);
  });

  it('reads YAML and JSON files; flags win and nested objects merge', () => {
    const yamlFile = join(dir, 'receiver.yaml');
    writeFileSync(
      yamlFile,
      [
        'port: 5000',
        'recvBuffer: 64MiB',
        'pcapMaxTotal: "1.5GiB"',
        'flows:',
        '  udpIdleSeconds: 2',
        '  capacity: 1000',
        '',
      ].join('\n'),
    );
    const jsonFile = join(dir, 'receiver.json');
    writeFileSync(jsonFile, JSON.stringify({ workers: 3, health: { recordsBacklogLimit: '4KiB' } }));
    const fromYaml = resolveReceiverConfig(readConfigFile(yamlFile), {
      port: 6000,
      flows: { tcpIdleSeconds: 9 },
    });
    expect(fromYaml.port).toBe(6000);
    expect(fromYaml.recvBuffer).toBe(64 * 1024 * 1024);
    expect(fromYaml.pcapMaxTotal).toBe(Math.floor(1.5 * 1024 ** 3));
    expect(fromYaml.flows).toMatchObject({ udpIdleSeconds: 2, capacity: 1000, tcpIdleSeconds: 9 });
    const fromJson = resolveReceiverConfig(readConfigFile(jsonFile));
    expect(fromJson.workers).toBe(3);
    expect(fromJson.health.recordsBacklogLimit).toBe(4096);
  });

  it('names every bad key, unknown keys included, in one error', () => {
    const problems = problemsOf(() =>
      resolveReceiverConfig({
        port: 70000,
        workers: 0,
        recvBuffer: 'lots',
        bind: 'localhost',
        flows: { udpIdle: 3 },
        healthPortt: 1,
      }),
    );
    const text = problems.join('\n');
    expect(text).toMatch(/^port: expected a port from 0 to 65535$/m);
    expect(text).toMatch(/^workers: expected a whole number >= 1$/m);
    expect(text).toMatch(/^recvBuffer: expected a byte size/m);
    expect(text).toMatch(/^bind: expected an IPv4 or IPv6 address$/m);
    expect(text).toMatch(/^flows\.udpIdle: unknown option$/m);
    expect(text).toMatch(/^healthPortt: unknown option \(did you mean healthPort\?\)$/m);
  });

  it('checks allowSources CIDRs and the records rotation bounds, naming the key', () => {
    const text = problemsOf(() =>
      resolveReceiverConfig({
        allowSources: ['10.0.0.0/16', '10.0.0.0/33', 'example.com', 'fd00::/129'],
        recordsRotation: { rotateBytes: '1MiB', maxTotal: '1MiB' },
      }),
    ).join('\n');
    expect(text).toMatch(/^allowSources\.1: "10\.0\.0\.0\/33": the prefix length must be 0 to 32$/m);
    expect(text).toMatch(/^allowSources\.2: "example\.com" is not an IPv4 or IPv6 address or CIDR$/m);
    expect(text).toMatch(/^allowSources\.3: "fd00::\/129": the prefix length must be 0 to 128$/m);
    expect(text).toMatch(/^recordsRotation\.maxTotal: maxTotal must be at least twice rotateBytes/m);
    const ok = resolveReceiverConfig({ allowSources: ['10.0.0.0/16', '2001:db8::/32', '192.0.2.7'] });
    expect(ok.allowSources).toEqual(['10.0.0.0/16', '2001:db8::/32', '192.0.2.7']);
    expect(resolveReceiverConfig({}).recordsRotation).toEqual({
      enabled: true,
      rotateBytes: 100 * 1024 ** 2,
      rotateSeconds: 3600,
      maxTotal: 10 * 1024 ** 3,
    });
  });

  it('takes captureInterface only with the afpacket intake, and afpacket only with one', () => {
    expect(problemsOf(() => resolveReceiverConfig({ intake: 'afpacket' }))).toEqual([
      'captureInterface: intake afpacket needs the interface to capture on (--capture-interface, e.g. ens5)',
    ]);
    expect(problemsOf(() => resolveReceiverConfig({ captureInterface: 'ens5' }))).toEqual([
      'captureInterface: only the afpacket intake captures on an interface (intake is auto)',
    ]);
    expect(
      problemsOf(() => resolveReceiverConfig({ intake: 'afpacket', captureInterface: 'a-very-long-name0' })),
    ).toEqual(['captureInterface: expected an interface name (at most 15 characters)']);
    const ok = resolveReceiverConfig({ intake: 'afpacket', captureInterface: 'ens5' });
    expect(ok).toMatchObject({ intake: 'afpacket', captureInterface: 'ens5' });
  });
  it('rejects a file that is not an object of options, with the file named', () => {
    const bad = join(dir, 'list.yaml');
    writeFileSync(bad, '- 1\n- 2\n');
    expect(() => readConfigFile(bad)).toThrow(
      /config file .*list\.yaml must hold an object of options, got a list/,
    );
    expect(() => readConfigFile(join(dir, 'missing.yaml'))).toThrow(
      /cannot read config file .*missing\.yaml/,
    );
  });

  it('suggests the option a typo meant, nested ones and flat spellings of nested ones too', () => {
    expect(
      problemsOf(() =>
        resolveReceiverConfig({
          workrs: 2,
          hecUrl: 'http://h:8088',
          hec: { ur1: 'x' },
          flows: { capacty: 3 },
        }),
      ).toSorted(),
    ).toEqual([
      'flows.capacty: unknown option (did you mean flows.capacity?)',
      'hec.ur1: unknown option (did you mean hec.url?)',
      'hecUrl: unknown option (did you mean hec.url?)',
      'workrs: unknown option (did you mean workers?)',
    ]);
    expect(problemsOf(() => resolveReceiverConfig({ zzzzzz: 1 }))).toEqual(['zzzzzz: unknown option']);
  });

  it('reads a .json file as JSON: invalid JSON is an error, not YAML', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"port": 4789,}\n');
    expect(() => readConfigFile(bad)).toThrow(/config file .*bad\.json is not valid JSON/);
    // The same text is valid YAML (a flow mapping with a trailing comma), which is what used to happen.
    const asYaml = join(dir, 'bad.yaml');
    writeFileSync(asYaml, '{"port": 4789,}\n');
    expect(readConfigFile(asYaml)).toEqual({ port: 4789 });
  });

  it('parses byte sizes with binary and decimal units', () => {
    expect(parseByteSize('32MiB')).toBe(33_554_432);
    expect(parseByteSize('32M')).toBe(33_554_432);
    expect(parseByteSize('2GB')).toBe(2_000_000_000);
    expect(parseByteSize(4096)).toBe(4096);
    expect(parseByteSize('12 parsecs')).toBeNaN();
  });
});
