import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfigFile } from '../../workers/config';

function configFile(text: string, name = 'medallion.yaml'): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cfg-')), name);
  writeFileSync(file, text);
  return file;
}

describe('worker config', () => {
  it('loads the documented AWS example', () => {
    const config = loadWorkerConfigFile(path.resolve(__dirname, '../../config/aws.example.yaml'), {});
    expect(config.environment.warehouse.dialect).toBe('redshift');
    expect(config.temporal.taskQueue).toBe('medallion');
  });

  it('stops with the file and the path of each bad field', () => {
    const file = configFile(`
environment:
  name: prod
  region: eu-central-1
  lakeBucket: Not_A_Bucket
  glue: {}
  emrServerless: { applicationId: a, executionRoleArn: r, entryPoint: s3://x/y.py }
  dms: { tasks: {} }
  appflow: { flows: {} }
  warehouse: { dialect: redshift, database: d, workgroupName: w }
`);
    expect(() => loadWorkerConfigFile(file, {})).toThrow(
      new RegExp(
        `${file} is invalid:\\n` +
          '  - environment.lakeBucket: use an S3 bucket name.*\\n' +
          '  - environment.warehouse.copyRoleArn: set copyRoleArn',
      ),
    );
  });

  it('lets TEMPORAL_ADDRESS point the worker at another cluster', () => {
    const config = loadWorkerConfigFile(path.resolve(__dirname, '../../config/aws.example.yaml'), {
      TEMPORAL_ADDRESS: 'temporal.example:7233',
    });
    expect(config.temporal.address).toBe('temporal.example:7233');
  });

  it('explains a file that is not YAML', () => {
    expect(() => loadWorkerConfigFile(configFile('environment: [unclosed'), {})).toThrow(/is not valid YAML/);
  });
});

describe('the monitoring port', () => {
  const example = path.resolve(__dirname, '../../config/aws.example.yaml');

  it('defaults to 9464, which the image exposes, and MEDALLION_MONITORING_PORT overrides it', () => {
    expect(loadWorkerConfigFile(example, {}).monitoring).toEqual({
      host: '0.0.0.0',
      port: 9464,
      sdkMetricsPort: 9465,
    });
    expect(loadWorkerConfigFile(example, { MEDALLION_SDK_METRICS_PORT: '0' }).monitoring.sdkMetricsPort).toBe(
      0,
    );
    expect(loadWorkerConfigFile(example, { MEDALLION_MONITORING_PORT: '9500' }).monitoring.port).toBe(9500);
  });

  it('names the variable and the fix when it is not a port', () => {
    expect(() => loadWorkerConfigFile(example, { MEDALLION_MONITORING_PORT: 'http' })).toThrow(
      /MEDALLION_MONITORING_PORT=http is not a TCP port: use a whole number from 0 to 65535/,
    );
  });
});
