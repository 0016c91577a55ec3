/**
 * The registry of workflow patches: every id given to a `patched` or `deprecatePatch` call in workflows/
 * is one of these, and goes through `patchId()` (lint refuses a patch call without it, the type
 * checker an id that is not listed). The policy is in docs/ARCHITECTURE.md, "Changing workflow code".
 *
 * Empty until the first release: before it no production history exists, so workflow changes
 * re-record test/histories/ instead of adding patches. An entry, once there are any:
 *
 *   {
 *     id: 'ordered-ingest',                // the marker written into histories; never reused
 *     reason: 'CDC windows run in date order in their own lane, so a window starts where the previous stopped',
 *     added: '2027-02-01',                 // the day the patched call landed
 *     deprecated: '2027-03-15',            // the day the patched call became deprecatePatch: no run
 *                                          //   older than the patch was still open anywhere
 *   }
 *
 * An entry is removed with its deprecatePatch call, once no open run can have the old history.
 */
/** @public */
export interface WorkflowPatch {
  id: string;
  reason: string;
  /** YYYY-MM-DD the `patched` call landed. */
  added: string;
  /** YYYY-MM-DD it became `deprecatePatch`. */
  deprecated?: string;
}

/** @public */
export const WORKFLOW_PATCHES = [] as const satisfies readonly WorkflowPatch[];

/** @public */
export type WorkflowPatchId = (typeof WORKFLOW_PATCHES)[number]['id'];

/**
 * A registered patch id, to pass to the `patched` and `deprecatePatch` calls.
 * @public
 */
export function patchId(id: WorkflowPatchId): string {
  return id;
}
