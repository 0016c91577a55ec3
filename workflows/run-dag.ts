/**
 * Walks a dependency graph: every node whose dependencies succeeded starts, up to `maxConcurrent` at a
 * time; a failed node blocks its dependents while independent branches run to the end. Deterministic:
 * only workflow-safe promises, no timers of its own.
 */
import { isCancellation } from '@temporalio/workflow';

export interface DagNode {
  id: string;
  dependsOn: string[];
}

type NodeOutcome = 'succeeded' | 'failed' | 'blocked' | 'cancelled';

export interface DagCallbacks<N extends DagNode> {
  run(node: N): Promise<void>;
  onFailed(node: N, error: unknown): void;
  onBlocked(node: N, blockedBy: string): void;
}

export interface DagResult {
  outcomes: Map<string, NodeOutcome>;
  /** The cancellation that stopped the walk, if any: rethrow it once the caller has recorded state. */
  cancellation?: unknown;
}

/** `settled`: how nodes the walk does not run, and some of its nodes depend on, ended before. */
export async function runDag<N extends DagNode>(
  nodes: N[],
  maxConcurrent: number,
  callbacks: DagCallbacks<N>,
  settled?: ReadonlyMap<string, NodeOutcome>,
): Promise<DagResult> {
  const outcomes = new Map<string, NodeOutcome>(settled);
  const running = new Map<string, Promise<string>>();
  const pending = [...nodes];
  let cancellation: unknown;

  const launch = (node: N): void => {
    running.set(
      node.id,
      callbacks.run(node).then(
        () => {
          outcomes.set(node.id, 'succeeded');
          return node.id;
        },
        (error: unknown) => {
          if (isCancellation(error)) {
            outcomes.set(node.id, 'cancelled');
            cancellation ??= error;
          } else {
            outcomes.set(node.id, 'failed');
            callbacks.onFailed(node, error);
          }
          return node.id;
        },
      ),
    );
  };

  for (;;) {
    if (cancellation === undefined) {
      markBlocked(pending, outcomes, callbacks);
      for (const node of takeReady(pending, outcomes, maxConcurrent - running.size)) launch(node);
    }
    if (running.size === 0) break;
    const finished = await Promise.race(running.values());
    running.delete(finished);
  }
  return cancellation === undefined ? { outcomes } : { outcomes, cancellation };
}

function markBlocked<N extends DagNode>(
  pending: N[],
  outcomes: Map<string, NodeOutcome>,
  callbacks: DagCallbacks<N>,
): void {
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = pending.length - 1; i >= 0; i--) {
      const node = pending[i]!;
      const blocker = node.dependsOn.find((dep) => {
        const outcome = outcomes.get(dep);
        return outcome === 'failed' || outcome === 'blocked' || outcome === 'cancelled';
      });
      if (blocker) {
        pending.splice(i, 1);
        outcomes.set(node.id, 'blocked');
        callbacks.onBlocked(node, blocker);
        changed = true;
      }
    }
  }
}

function takeReady<N extends DagNode>(pending: N[], outcomes: Map<string, NodeOutcome>, slots: number): N[] {
  const ready: N[] = [];
  for (let i = 0; i < pending.length && ready.length < slots;) {
    const node = pending[i]!;
    if (node.dependsOn.every((dep) => outcomes.get(dep) === 'succeeded')) {
      ready.push(node);
      pending.splice(i, 1);
    } else {
      i++;
    }
  }
  return ready;
}
