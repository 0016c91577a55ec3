import { setTimeout as sleep } from 'node:timers/promises';
import { AwsError } from '../http/aws-error';
import type { CallGate } from '../http/aws-request';
import type { ScriptBook } from './script-book';
import type { CallFaultRule } from './script-rules';
import { START_OPERATIONS, type StartCallLog } from './start-call-log';

/** What each service answers when it throttles (S3's SlowDown is a 503; restJson services use 429). */
const THROTTLING: Record<string, { code: string; httpStatus: number; message: string }> = {
  s3: { code: 'SlowDown', httpStatus: 503, message: 'Please reduce your request rate.' },
  glue: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  'emr-serverless': { code: 'ThrottlingException', httpStatus: 429, message: 'Rate exceeded' },
  dms: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  appflow: { code: 'ThrottlingException', httpStatus: 429, message: 'Rate exceeded' },
  'redshift-data': { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
};

/** Scripted latency first, then a scripted fault if one is armed for this call. */
export function createCallGate(script: ScriptBook, calls: StartCallLog): CallGate {
  return async (service, operation) => {
    const latency = script.latencyFor(service, operation);
    if (latency > 0) await sleep(latency);
    const fault = await script.takeCallFault(service, operation);
    if (!fault) return;
    const error = faultError(service, fault);
    if (START_OPERATIONS.has(`${service}:${operation}`)) {
      await calls.record({ service, operation, resource: '', outcome: 'rejected', error: error.code });
    }
    throw error;
  };
}

function faultError(service: string, fault: CallFaultRule): AwsError {
  const throttling = THROTTLING[service] ?? THROTTLING.glue!;
  const code = fault.code ?? throttling.code;
  const status = fault.httpStatus ?? (code === throttling.code ? throttling.httpStatus : 400);
  return new AwsError(
    code,
    fault.message ?? (code === throttling.code ? throttling.message : `Scripted ${code}`),
    status,
  );
}
