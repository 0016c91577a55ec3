/**
 * The current time as workflow code sees it: the SDK makes `Date` deterministic inside workflows
 * (the time of the workflow task being processed), so this replays identically.
 */
export function workflowNowMs(): number {
  return new Date().getTime();
}
