import pino from 'pino';

/** Structured logs for worker processes; LOG_LEVEL overrides the level. */
export const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'medallion' } });
