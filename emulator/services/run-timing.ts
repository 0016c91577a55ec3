import type { ScriptableService } from '../scripting/script-rules';
import type { ServiceContext } from './service-context';

/** A run's main-phase length: the script's rule, else the resource's configured duration, else the default. */
export function mainPhaseMs(
  ctx: ServiceContext,
  service: ScriptableService,
  names: (string | undefined)[],
  configuredMs: number | undefined,
): number {
  const scripted = ctx.script.durationFor(service, definedNames(names));
  return scripted ?? configuredMs ?? ctx.config.timing.runMs;
}

/** Consumes a scripted failure for a run (by stageId, then resource name, then `*`). */
export function takeScriptedFailure(
  ctx: ServiceContext,
  service: ScriptableService,
  names: (string | undefined)[],
): Promise<string | undefined> {
  return ctx.script.takeRunFailure(service, definedNames(names));
}

function definedNames(names: (string | undefined)[]): string[] {
  return names.filter((n): n is string => n !== undefined && n !== '');
}
