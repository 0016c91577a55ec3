/**
 * Every pipeline this deployment knows, validated once at worker start: a bad field stops the worker
 * with its path and the fix (core/config-errors.ts).
 */
import { parseOrThrow } from '../core/config-errors';
import { type PipelineSpec, type PipelineSpecInput, pipelineSpecSchema } from '../core/pipeline-spec';
import { shopPipeline } from './shop';

export const pipelineDefinitions: readonly PipelineSpecInput[] = [shopPipeline];

export function loadPipelines(
  definitions: readonly PipelineSpecInput[] = pipelineDefinitions,
): Record<string, PipelineSpec> {
  const pipelines: Record<string, PipelineSpec> = {};
  for (const definition of definitions) {
    const spec = parseOrThrow(pipelineSpecSchema, definition, `pipeline "${definition.name}"`);
    if (pipelines[spec.name]) throw new Error(`two pipelines are named "${spec.name}"; names must be unique`);
    pipelines[spec.name] = spec;
  }
  return pipelines;
}
