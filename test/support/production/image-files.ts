/**
 * The files the worker image holds, as the production smoke test copies them into an empty folder.
 * dockerfile.test.ts checks that this list and the Dockerfile's COPY list are the same.
 */
export const IMAGE_FILES = [
  'package.json',
  'package-lock.json',
  '.npmrc',
  'tsconfig.json',
  'core',
  'workflows',
  'activities',
  'workers',
  'pipelines',
  'schedules',
] as const;
