import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { withProvisionLock } from '../../local/provision-lock';

const quiet = () => undefined;

describe('provisioning lock', () => {
  it('runs two provisionings of one cache one after the other, never interleaved', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'provision-lock-'));
    const events: string[] = [];
    const provisioning = (name: string) =>
      withProvisionLock(cache, quiet, async () => {
        events.push(`${name} start`);
        await sleep(1200);
        events.push(`${name} end`);
      });
    await Promise.all([provisioning('a'), provisioning('b')]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end']);
    expect(existsSync(join(cache, '.provision.lock'))).toBe(false);
  });

  it('takes over a lock whose owner process is gone, and says whom it waits for while the owner lives', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'provision-lock-'));
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid;
    mkdirSync(join(cache, '.provision.lock'));
    writeFileSync(join(cache, '.provision.lock', 'pid'), String(dead));
    const ran = await withProvisionLock(cache, quiet, () => Promise.resolve('ran'));
    expect(ran).toBe('ran');

    mkdirSync(join(cache, '.provision.lock'));
    writeFileSync(join(cache, '.provision.lock', 'pid'), String(process.pid));
    const messages: string[] = [];
    const waiting = withProvisionLock(
      cache,
      (m) => messages.push(m),
      () => Promise.resolve('after'),
    );
    await sleep(300);
    expect(messages.join('\n')).toContain(`pid ${process.pid}`);
    rmSync(join(cache, '.provision.lock'), { recursive: true });
    await expect(waiting).resolves.toBe('after');
  });
});
