/**
 * Workflow histories as JSON files (test/histories/*.json): the ProtoJSON of
 * `temporal.api.history.v1.History`, the format of the Temporal UI's "Download" button and of
 * `temporal workflow show --output json`.
 *
 * Why not the SDK's historyToJSON / historyFromJSON: with this lockfile npm installs protobufjs 8
 * three times (nested under @temporalio/common, /proto and /worker, because the root protobufjs is
 * @grpc/proto-loader's 7.x). @temporalio/common's protojson then rejects @temporalio/proto's types
 * ("TypeError: type must be a Type"). The ProtoJSON codec of the protobufjs copy that
 * @temporalio/proto itself loads works in that layout and in a deduplicated one alike.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { History } from '@temporalio/common/lib/proto-utils';
import type * as protoModule from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

interface ProtoJsonCodec {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

// Plain CommonJS loads: a test runner's ESM interop would hand patchProtobufRoot a wrapper it cannot walk.
const load = createRequire(__filename);
const proto = load('@temporalio/proto') as typeof protoModule;
const protojson = createRequire(load.resolve('@temporalio/proto'))(
  'protobufjs/ext/protojson',
) as ProtoJsonCodec;
const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');
const HistoryMessage = proto.temporal.api.history.v1.History;

export const HISTORIES_DIR = path.resolve(__dirname, '../../histories');

export function historyToJson(history: History): string {
  return `${JSON.stringify(protojson.toJson(historyType, HistoryMessage.fromObject(history)), null, 2)}\n`;
}

function historyFromJson(json: unknown): History {
  // Unknown fields: a history from a newer server must still load (the SDK's own reader does the same).
  return HistoryMessage.fromObject(
    protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as Record<string, unknown>,
  );
}

export interface HistoryFile {
  file: string;
  workflowId: string;
  history: History;
}

/** Every history file in `dir`, sorted by name, with its workflow id (from the file, or the name). */
export function readHistoryFiles(dir = HISTORIES_DIR): HistoryFile[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      const history = historyFromJson(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
      return { file, workflowId: workflowIdOf(history) ?? file, history };
    });
}

/** The workflow id the server wrote into the started event (servers >= 1.27; older files: the name). */
function workflowIdOf(history: History): string | undefined {
  const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
  return started?.workflowId || undefined;
}
