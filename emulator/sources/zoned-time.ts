import { isValidTimeZone } from '../../core/dates';

export { localDate } from '../../core/dates';

/** Throws a clear error when `timeZone` is not an IANA zone name. */
export function assertTimeZone(timeZone: string): void {
  if (!isValidTimeZone(timeZone)) {
    throw new Error(`unknown IANA time zone '${timeZone}'; use a name such as 'Europe/Berlin' or 'UTC'`);
  }
}

/** DMS's CDC file name stamp, yyyyMMdd-HHmmssSSS, in UTC. */
export function dmsFileStamp(instant: Date): string {
  const iso = instant.toISOString(); // 2025-03-30T01:02:03.456Z
  return `${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}${iso.slice(20, 23)}`;
}
