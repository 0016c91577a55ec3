import { appendFile, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeAwsChunked } from '../../emulator/http/aws-chunked';
import { AppendLog } from '../../emulator/runtime/append-log';
import { StateFile } from '../../emulator/runtime/state-file';
import {
  decodeStartPosition,
  encodeCheckpoint,
  parseStopPosition,
} from '../../emulator/services/dms/dms-positions';
import { parameterNames, rewriteSql } from '../../emulator/services/redshift-data/sql-rewrite';
import { newDataDir } from '../support/emulator-fixture';

describe('DMS positions', () => {
  it('a checkpoint decodes to the position it encodes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }), fc.nat(1000), (ms, seq) => {
        expect(decodeStartPosition(encodeCheckpoint(ms, seq, 4))).toBe(ms);
      }),
    );
  });

  it('reads date start positions and both stop position kinds as UTC', () => {
    expect(decodeStartPosition('2024-03-08T12:12:12')).toBe(Date.UTC(2024, 2, 8, 12, 12, 12));
    expect(parseStopPosition('commit_time:2024-01-02T00:00:00')).toEqual({
      kind: 'commit_time',
      ms: Date.UTC(2024, 0, 2),
    });
    expect(parseStopPosition('server_time:2024-01-02T00:00:00').kind).toBe('server_time');
    expect(() => parseStopPosition('commit_time:2024-01-02')).toThrow(/commit_time:YYYY-MM-DDTHH:MM:SS/);
    expect(() => decodeStartPosition('0/16B3748')).toThrow(/RecoveryCheckpoint/);
  });
});

describe('warehouse SQL rewriting', () => {
  const resolve = (uri: string) => `/lake/${uri.slice('s3://'.length)}`;

  it("rewrites only 's3://' string literals; identifiers, comments and other strings stay", () => {
    const sql = `SELECT "s3://not-a-literal", 'it''s s3://inside' -- 's3://in-a-comment'
      FROM read_parquet('s3://lake/gold/*.parquet') /* 's3://block' */`;
    const { sql: out, s3Uris } = rewriteSql(sql, resolve, undefined);
    expect(out).toContain("read_parquet('/lake/lake/gold/*.parquet')");
    expect(out).toContain(`"s3://not-a-literal", 'it''s s3://inside' -- 's3://in-a-comment'`);
    expect(out).toContain("/* 's3://block' */");
    expect(s3Uris).toEqual(['s3://lake/gold/*.parquet']);
  });

  it('binds :name parameters as escaped literals and leaves :: casts alone', () => {
    const { sql } = rewriteSql("SELECT :a::INT, ':a', :b", resolve, (name) => ({ a: '1', b: "o'k" })[name]);
    expect(sql).toBe("SELECT '1'::INT, ':a', 'o''k'");
    expect([...parameterNames('SELECT :x, :y::DATE, x::INT')]).toEqual(['x', 'y']);
    expect(() => rewriteSql('SELECT :missing', resolve, () => undefined)).toThrow(/:missing/);
    expect(rewriteSql('SELECT :kept', resolve, undefined).sql).toBe('SELECT :kept');
  });
});

describe('aws-chunked bodies', () => {
  it('joins chunks and drops signatures and trailers', () => {
    const body = Buffer.from(
      '5;chunk-signature=abc\r\nhello\r\n6;chunk-signature=def\r\n world\r\n0;chunk-signature=0\r\nx-amz-checksum-crc32:AAAA\r\n\r\n',
    );
    expect(decodeAwsChunked(body).toString()).toBe('hello world');
  });

  it('refuses a body shorter than its chunk sizes', () => {
    expect(() => decodeAwsChunked(Buffer.from('a\r\nshort\r\n'))).toThrow(/shorter/);
    expect(() => decodeAwsChunked(Buffer.from('zz\r\n'))).toThrow(/bad chunk size/);
  });
});

describe('state files', () => {
  it('coalesces concurrent saves and ends with the latest data on disk', async () => {
    const dir = await newDataDir();
    try {
      const path = join(dir, 'state', 'counter.json');
      const file = await StateFile.open(path, () => ({ n: 0 }));
      const saves: Promise<void>[] = [];
      for (let i = 1; i <= 50; i += 1) {
        file.data.n = i;
        saves.push(file.save());
      }
      await Promise.all(saves);
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ n: 50 });
      expect((await StateFile.open(path, () => ({ n: -1 }))).data).toEqual({ n: 50 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an append log writes one line per entry in order and reopens without a torn last line', async () => {
    const dir = await newDataDir();
    try {
      const path = join(dir, 'state', 'calls.jsonl');
      const log = await AppendLog.open<{ n: number }>(path);
      await Promise.all(Array.from({ length: 20 }, (_, i) => log.append({ n: i })));
      expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(20);
      await appendFile(path, '{"n": 2'); // a crash in the middle of a write
      const reopened = await AppendLog.open<{ n: number }>(path);
      expect(reopened.entries.map((e) => e.n)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      await reopened.append({ n: 20 });
      const after = await AppendLog.open<{ n: number }>(path);
      expect(after.entries.map((e) => e.n)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
