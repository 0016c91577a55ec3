/**
 * Peak resident memory of this process over a stretch of a bench. The kernel's high-water mark
 * (resourceUsage().maxRSS) covers the whole process life, so a bench that runs two backfills one after
 * the other samples the second one's peak instead.
 */
const SAMPLE_EVERY_MS = 100;

export interface RssSampler {
  /** Stops sampling; the highest RSS seen, in MB. */
  stop(): number;
}

export function sampleRss(): RssSampler {
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, SAMPLE_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage.rss()) / 1024 / 1024;
    },
  };
}

/** The kernel's high-water mark of this process's RSS, in MB. */
export function processPeakRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}
