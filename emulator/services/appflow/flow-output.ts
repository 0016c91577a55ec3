/**
 * Where an AppFlow execution's objects go and what they are called, from the flow's S3 output
 * settings (appflow/2020-08-23 S3OutputFormatConfig, PrefixConfig): under
 * `<bucketPrefix>/<flow>/`, date folders for prefixType PATH / PATH_AND_FILENAME, then one folder per
 * pathPrefixHierarchy element in order; a date prefix on the object name for FILENAME /
 * PATH_AND_FILENAME. Objects carry no file-type extension.
 */
import { readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppFlowFlowConfig } from '../../emulator-config';

const DATE_PARTS = ['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE'] as const;

/** The date parts down to `format`, UTC: ['2024', '05', '03'] for DAY. */
function dateParts(at: number, format: AppFlowFlowConfig['output']['prefixFormat']): string[] {
  const iso = new Date(at).toISOString();
  const all = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13), iso.slice(14, 16)];
  return all.slice(0, DATE_PARTS.indexOf(format) + 1);
}

/** The s3:// folder the execution writes to. */
export function executionFolderUri(
  flow: AppFlowFlowConfig,
  executionId: string,
  startedAt: number,
  schemaVersion: number,
): string {
  const { output } = flow;
  const datePath =
    output.prefixType === 'PATH' || output.prefixType === 'PATH_AND_FILENAME'
      ? dateParts(startedAt, output.prefixFormat)
      : [];
  const hierarchy = output.pathPrefixHierarchy.map((part) =>
    part === 'EXECUTION_ID' ? executionId : String(schemaVersion),
  );
  const prefix = output.bucketPrefix.replace(/^\/+|\/+$/g, '');
  const key = [prefix, flow.name, ...datePath, ...hierarchy].filter((p) => p.length > 0).join('/');
  return `s3://${flow.bucket}/${key}/`;
}

/**
 * Renames the files the source simulator wrote (part-NNNNN.parquet) in `folder` to AppFlow's names:
 * `[<date>-]<executionId>-<n>`, no extension.
 */
export async function nameLikeAppFlow(
  folder: string,
  flow: AppFlowFlowConfig,
  executionId: string,
  startedAt: number,
): Promise<void> {
  const { output } = flow;
  const datePrefix =
    output.prefixType === 'FILENAME' || output.prefixType === 'PATH_AND_FILENAME'
      ? `${dateParts(startedAt, output.prefixFormat).join('-')}-`
      : '';
  const written = (await readdir(folder).catch(() => [] as string[])).filter((n) =>
    /^part-\d+\.parquet$/.test(n),
  );
  for (const [index, name] of written.sort().entries()) {
    await rename(join(folder, name), join(folder, `${datePrefix}${executionId}-${index}`));
  }
}
