/**
 * The local world: on the first `npm start` its sources already have 400 days of
 * history, so any past range backfills; an existing data directory keeps the world it was made with.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { addDays, dayWindowUtc } from '../../core/dates';
import { loadOrCreateWorld, WORLD_HISTORY_DAYS, worldEpoch } from '../../local/local-state';
import { createShopSimulator, shopChangeLog } from '../../emulator/sources/shop-simulator';

const dirs: string[] = [];
const dataDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'medallion-world-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const NOW = new Date('2026-12-04T16:00:00Z');

describe('the local world', () => {
  it('opens 401 days before today, so every date of the last 400 days has source data in any zone', () => {
    const world = loadOrCreateWorld(dataDir(), '2026-12-03', NOW);
    expect(WORLD_HISTORY_DAYS).toBe(400);
    expect(world).toMatchObject({ firstDay: '2026-12-03', opensOn: '2025-10-29' });
    const sources = createShopSimulator({ epochUtc: worldEpoch(world) });
    const oldest = addDays('2026-12-04', -WORLD_HISTORY_DAYS);
    for (const zone of ['Europe/Berlin', 'Pacific/Kiritimati', 'America/Los_Angeles']) {
      // The oldest day's window starts inside the source's change log (a CDC start there is served)...
      expect(dayWindowUtc(oldest, zone).startUtc.getTime()).toBeGreaterThanOrEqual(
        sources.changeLogStartUtc!.getTime(),
      );
    }
    // ...and the shop, open since the epoch, commits changes on it.
    const window = dayWindowUtc(oldest, 'Europe/Berlin');
    expect(
      shopChangeLog(42, window.startUtc, window.endUtc, { epochUtc: worldEpoch(world) }).length,
    ).toBeGreaterThan(100);
  });

  it('opens on the first day asked for when that is older than the history', () => {
    expect(loadOrCreateWorld(dataDir(), '2024-02-10', NOW).opensOn).toBe('2024-02-10');
  });

  it('keeps the world of an existing data directory; one made before history opened on its first day', () => {
    const dir = dataDir();
    const made = loadOrCreateWorld(dir, '2026-12-03', NOW);
    expect(loadOrCreateWorld(dir, '2026-12-20', new Date('2026-12-21T00:00:00Z'))).toEqual(made);
    writeFileSync(
      path.join(dir, 'world.json'),
      JSON.stringify({ seed: 42, bucket: 'medallion-lake', firstDay: '2025-04-01' }),
    );
    const old = loadOrCreateWorld(dir, '2026-12-03', NOW);
    expect(worldEpoch(old).toISOString()).toBe('2025-04-01T00:00:00.000Z');
    expect(JSON.parse(readFileSync(path.join(dir, 'world.json'), 'utf8'))).not.toHaveProperty('opensOn');
  });
});
