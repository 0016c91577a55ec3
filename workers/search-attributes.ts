/**
 * Medallion's search attributes must exist before a workflow upserts them (an unknown one fails every
 * workflow task). The worker registers the missing ones at start, and says how to do it by hand when
 * the cluster does not allow it (e.g. Temporal Cloud: `tcld namespace search-attributes add`).
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SearchAttributeType } from '@temporalio/common';
import { searchAttributeKeys } from '../core/search-attributes';

const { IndexedValueType } = temporal.api.enums.v1;

const indexedType: Partial<Record<SearchAttributeType, temporal.api.enums.v1.IndexedValueType>> = {
  [SearchAttributeType.KEYWORD]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  [SearchAttributeType.DATETIME]: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  [SearchAttributeType.INT]: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  [SearchAttributeType.TEXT]: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  [SearchAttributeType.BOOL]: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  [SearchAttributeType.KEYWORD_LIST]: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
  [SearchAttributeType.DOUBLE]: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
};

function cliType(type: SearchAttributeType): string {
  return type.charAt(0) + type.slice(1).toLowerCase().replace('_list', 'List');
}

function manualRegistrationHint(namespace: string): string {
  return Object.values(searchAttributeKeys)
    .map(
      (k) =>
        `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type ${cliType(k.type)}`,
    )
    .join('\n');
}

/**
 * Registers the missing attributes. One registered with another type (a dev server's SQLite may hold
 * MedallionLogicalDate as a Datetime, from before it was a Keyword) is replaced on a dev server, whose SQLite visibility only
 * holds local runs; on any other cluster the worker stops and says how to replace it by hand, since
 * removing an attribute there drops it from every run's visibility record.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const wanted = Object.fromEntries(
    Object.values(searchAttributeKeys).map((k) => [k.name, indexedType[k.type]!]),
  );
  let missing = wanted;
  try {
    const existing =
      (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    missing = Object.fromEntries(Object.entries(wanted).filter(([name, type]) => existing[name] !== type));
    const mismatched = Object.keys(missing).filter((name) => existing[name] !== undefined);
    if (mismatched.length > 0) await replaceMismatched(connection, namespace, mismatched);
  } catch (error) {
    if (error instanceof MismatchedSearchAttributes) throw error;
    // Some servers (the Java test server) cannot list; adding is then the check.
  }
  if (Object.keys(missing).length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/already exists/i.test(message)) return;
    throw new Error(
      `Could not register medallion's search attributes in namespace "${namespace}" (${message}). ` +
        `Register them once by hand, then start the worker again:\n${manualRegistrationHint(namespace)}`,
    );
  }
}

class MismatchedSearchAttributes extends Error {}

async function replaceMismatched(connection: Connection, namespace: string, names: string[]): Promise<void> {
  const cluster = await connection.workflowService.getClusterInfo({});
  if (cluster.visibilityStore !== 'sqlite') {
    const keys = Object.values(searchAttributeKeys).filter((k) => names.includes(k.name));
    throw new MismatchedSearchAttributes(
      `search attribute(s) ${names.join(', ')} are registered in namespace "${namespace}" with another type ` +
        `than medallion uses (${keys.map((k) => `${k.name}: ${cliType(k.type)}`).join(', ')}). Replace them by hand ` +
        `(runs lose the old value in visibility), then start the worker again:\n` +
        keys
          .map(
            (k) =>
              `temporal operator search-attribute remove --namespace ${namespace} --name ${k.name} --yes && ` +
              `temporal operator search-attribute create --namespace ${namespace} --name ${k.name} --type ${cliType(k.type)}`,
          )
          .join('\n'),
    );
  }
  await connection.operatorService.removeSearchAttributes({ namespace, searchAttributes: names });
}
