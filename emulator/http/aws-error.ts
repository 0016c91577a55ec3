/**
 * An error answered in the service's own error shape, so the SDK throws the exception class named by
 * `code` (EntityNotFoundException, NoSuchKey, ResourceNotFoundFault, ...).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
    /** Extra members of the error shape, e.g. Redshift Data's ResourceId / StatementId, S3's Key. */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = code;
  }
}

/** The error to answer: an AwsError as it is, anything else an internal error (500) under `internalCode`. */
export function asAwsError(error: unknown, internalCode: string): AwsError {
  if (error instanceof AwsError) return error;
  return new AwsError(internalCode, `emulator error: ${String(error)}`, 500);
}
