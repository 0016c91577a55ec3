import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { JobManifest } from '../../../core/job-manifest';
import type { JobMetrics } from '../../../core/stage-io';

type Reply = { ready: true; startSeconds: number } | { metrics: JobMetrics } | { error: string };

/**
 * The long-running `spark_driver.py`: one local Spark session that runs jobs/sql_runner.py's run_job
 * for each manifest sent, one at a time. Its own S3 calls go to `s3Endpoint`.
 */
export class SparkDriver {
  private readonly replies: Reply[] = [];
  private readonly waiting: ((reply: Reply) => void)[] = [];
  private stderrTail = '';
  private exited: string | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return; // Spark or py4j chatter on stdout
      const reply = JSON.parse(line) as Reply;
      const resolve = this.waiting.shift();
      if (resolve) resolve(reply);
      else this.replies.push(reply);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-8000);
    });
    child.on('exit', (code, signal) => {
      this.exited = `spark driver exited (${code ?? signal}); stderr:\n${this.stderrTail}`;
      for (const resolve of this.waiting.splice(0)) resolve({ error: this.exited });
    });
  }

  static async start(options: {
    python: string;
    lakeDir: string;
    buckets: string[];
    s3Endpoint: string;
  }): Promise<{ driver: SparkDriver; startSeconds: number }> {
    const child = spawn(
      options.python,
      [
        '-B',
        join(__dirname, 'spark_driver.py'),
        join(__dirname, '..', '..', '..', 'jobs'),
        options.lakeDir,
        ...options.buckets,
      ],
      {
        env: {
          ...process.env,
          AWS_ENDPOINT_URL_S3: options.s3Endpoint,
          AWS_ACCESS_KEY_ID: 'AKIDEMULATOR',
          AWS_SECRET_ACCESS_KEY: 'emulator-secret',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_EC2_METADATA_DISABLED: 'true',
          PYSPARK_PYTHON: options.python,
          SPARK_LOCAL_IP: '127.0.0.1',
        },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const driver = new SparkDriver(child);
    const ready = await driver.next();
    if (!('ready' in ready)) throw new Error(`spark driver did not start: ${JSON.stringify(ready)}`);
    return { driver, startSeconds: ready.startSeconds };
  }

  /** Runs one manifest; resolves with its metrics or rejects with the job's error. */
  async run(manifest: JobManifest): Promise<JobMetrics> {
    if (this.exited) throw new Error(this.exited);
    this.child.stdin.write(`${JSON.stringify(manifest)}\n`);
    const reply = await this.next();
    if ('metrics' in reply) return reply.metrics;
    throw new Error('error' in reply ? reply.error : `unexpected reply ${JSON.stringify(reply)}`);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
  }

  private next(): Promise<Reply> {
    const reply = this.replies.shift();
    if (reply) return Promise.resolve(reply);
    if (this.exited) return Promise.resolve({ error: this.exited });
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}
