/**
 * The signals between a backfill and the daily run it starts per date (core/backfill-lanes.ts says
 * what each carries). People never send these; the CLI and the UI use backfill-signals.ts.
 */
import { defineSignal } from '@temporalio/workflow';
import type { DataPhaseDone, DimensionLaneTurn, IngestLaneDone } from '../core/backfill-lanes';

/** Daily run -> backfill: its CDC windows are over, the next date's run may start. */
export const ingestLaneDoneSignal = defineSignal<[IngestLaneDone]>('ingestLaneDone');
/** Backfill -> daily run whose CDC windows are over: a data slot is its, its data phase may start. */
export const dataSlotSignal = defineSignal('dataSlot');
/** Daily run -> backfill: its data phase is over and these merges wait for the dimension lane. */
export const dataPhaseDoneSignal = defineSignal<[DataPhaseDone]>('dataPhaseDone');
/** Backfill -> daily run: how the dimension lane merged the date. */
export const dimensionLaneTurnSignal = defineSignal<[DimensionLaneTurn]>('dimensionLaneTurn');
