import { writeAppFlowSnapshot } from './appflow-snapshot';
import type { BadDays } from './bad-days';
import { writeDmsWindow } from './dms-window';
import { DAY_MS, resolveShopOptions, type ShopSimulationOptions } from './shop-options';
import type { SourceSimulator } from './source-api';

export { crmAccountsAt, shopChangeLog, shopSnapshotAt } from './shop-timeline';
export { MalformedReason, type ShopChange } from './shop-changes';
export { DEFAULT_SHOP_OPTIONS, type ShopSimulationOptions } from './shop-options';

/**
 * The emulator's source systems: the shop's OLTP database (as DMS replicates it) and its CRM (as
 * AppFlow pulls it). Everything written is a pure function of (seed, time, options).
 */
export function createShopSimulator(
  options: ShopSimulationOptions = {},
  /** Dates to break on purpose (emulator/sources/bad-days.ts); none by default. */
  badDays?: BadDays,
): SourceSimulator {
  const { epochMs } = resolveShopOptions(options);
  return {
    // The database exists (empty) from the day before the shop opens at the epoch, so the first local
    // day of a zone east of UTC (Berlin's starts at 23:00 UTC the day before) is inside the log.
    changeLogStartUtc: new Date(epochMs - DAY_MS),
    writeDmsWindow: (request) => writeDmsWindow(request, options, badDays),
    writeAppFlowSnapshot: (request) => writeAppFlowSnapshot(request, options),
  };
}
