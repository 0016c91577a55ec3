import { setTimeout as sleep } from 'node:timers/promises';
import { AwsError } from '../http/aws-error';
import { type CallGate, DroppedConnection, type LostResponse } from '../http/aws-request';
import type { ScriptBook } from './script-book';
import type { CallFaultRule } from './script-rules';
import { START_OPERATIONS, type StartCallLog } from './start-call-log';

interface ErrorShape {
  code: string;
  httpStatus: number;
  message: string;
}

/** What each service answers when it throttles (S3's SlowDown is a 503; restJson services use 429). */
const THROTTLING: Record<string, ErrorShape> = {
  s3: { code: 'SlowDown', httpStatus: 503, message: 'Please reduce your request rate.' },
  glue: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  'emr-serverless': { code: 'ThrottlingException', httpStatus: 429, message: 'Rate exceeded' },
  dms: { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
  appflow: { code: 'ThrottlingException', httpStatus: 429, message: 'Rate exceeded' },
  'redshift-data': { code: 'ThrottlingException', httpStatus: 400, message: 'Rate exceeded' },
};

/**
 * Each service's own server-side error, from its botocore model (service-2.json): Glue
 * `InternalServiceException`, EMR Serverless / AppFlow `InternalServerException` (httpStatusCode 500),
 * Redshift Data `InternalServerException`; DMS models none, so the common awsJson `InternalFailure`;
 * S3 `InternalError` (500). The default answer of a fault after the effect.
 */
const INTERNAL: Record<string, ErrorShape> = {
  s3: {
    code: 'InternalError',
    httpStatus: 500,
    message: 'We encountered an internal error. Please try again.',
  },
  glue: { code: 'InternalServiceException', httpStatus: 500, message: 'Internal service error' },
  'emr-serverless': { code: 'InternalServerException', httpStatus: 500, message: 'Internal server error' },
  dms: { code: 'InternalFailure', httpStatus: 500, message: 'An internal error occurred' },
  appflow: { code: 'InternalServerException', httpStatus: 500, message: 'Internal server error' },
  'redshift-data': { code: 'InternalServerException', httpStatus: 500, message: 'Internal server error' },
};

/**
 * Scripted latency first, then a scripted fault if one is armed for this call. A fault before the
 * effect refuses the call here (logged as a rejected start); a fault after the effect is handed back
 * to the protocol handler, which runs the operation and then loses its answer.
 */
export function createCallGate(script: ScriptBook, calls: StartCallLog): CallGate {
  return async (service, operation) => {
    const latency = script.latencyFor(service, operation);
    if (latency > 0) await sleep(latency);
    const fault = await script.takeCallFault(service, operation);
    if (!fault) return undefined;
    const lost: LostResponse =
      fault.response === 'drop'
        ? { response: 'drop' }
        : { response: 'error', error: faultError(service, fault) };
    if (fault.phase === 'after-effect') return lost;
    const refusal = lost.response === 'drop' ? new DroppedConnection(operation) : lost.error;
    if (START_OPERATIONS.has(`${service}:${operation}`)) {
      const error = refusal instanceof AwsError ? refusal.code : 'ConnectionDropped';
      await calls.record({ service, operation, resource: '', outcome: 'rejected', error });
    }
    throw refusal;
  };
}

function faultError(service: string, fault: CallFaultRule): AwsError {
  const throttling = THROTTLING[service] ?? THROTTLING.glue!;
  const fallback = fault.phase === 'after-effect' ? (INTERNAL[service] ?? INTERNAL.glue!) : throttling;
  const code = fault.code ?? fallback.code;
  const known = [fallback, throttling].find((shape) => shape.code === code);
  const status = fault.httpStatus ?? known?.httpStatus ?? (fault.phase === 'after-effect' ? 500 : 400);
  return new AwsError(code, fault.message ?? known?.message ?? `Scripted ${code}`, status);
}
