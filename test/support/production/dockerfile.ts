/**
 * The worker image's Dockerfile, read into the steps the production tests replay without a Docker
 * engine: what is copied, what runs, the environment, the user, the command and the health check.
 * Only the instructions this Dockerfile uses are understood; any other one fails loudly.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../../..');

export interface ImageSteps {
  /** WORKDIR: where the files land and the commands run. */
  workdir: string;
  /** COPY sources (files or folders), in order. */
  copies: string[];
  /** RUN commands (shell form), in order. */
  runs: string[];
  env: Record<string, string>;
  user: string | undefined;
  /** CMD in exec form. */
  cmd: string[];
  /** HEALTHCHECK's CMD in exec form. */
  healthcheck: string[];
}

function execForm(text: string, where: string): string[] {
  const value: unknown = JSON.parse(text);
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new Error(`${where}: use the exec form, a JSON array of strings`);
  }
  return value;
}

export function readDockerfile(file = path.join(ROOT, 'Dockerfile')): ImageSteps {
  const steps: ImageSteps = {
    workdir: '/',
    copies: [],
    runs: [],
    env: {},
    user: undefined,
    cmd: [],
    healthcheck: [],
  };
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const args = line.slice(instruction.length).trim();
    switch (instruction.toUpperCase()) {
      case 'FROM':
      case 'EXPOSE':
        break;
      case 'WORKDIR':
        steps.workdir = args;
        break;
      case 'COPY':
        // COPY <src>... <dest>: every word but the last is a source.
        steps.copies.push(...rest.slice(0, -1));
        break;
      case 'RUN':
        steps.runs.push(args);
        break;
      case 'ENV': {
        const match = /^(\w+)=(.*)$/.exec(args);
        if (!match) throw new Error(`Dockerfile: write ENV as NAME=value (${line})`);
        steps.env[match[1]!] = match[2]!;
        break;
      }
      case 'USER':
        steps.user = args;
        break;
      case 'CMD':
        steps.cmd = execForm(args, 'Dockerfile CMD');
        break;
      case 'HEALTHCHECK': {
        const at = args.indexOf(' CMD ');
        if (at < 0) throw new Error('Dockerfile HEALTHCHECK: give a CMD');
        steps.healthcheck = execForm(args.slice(at + ' CMD '.length), 'Dockerfile HEALTHCHECK CMD');
        break;
      }
      default:
        throw new Error(
          `Dockerfile: the production tests do not replay ${instruction}; teach test/support/production/dockerfile.ts`,
        );
    }
  }
  return steps;
}
