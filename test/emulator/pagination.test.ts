import { describe, expect, it } from 'vitest';
import { AwsError } from '../../emulator/http/aws-error';
import { paginate } from '../../emulator/http/pagination';

interface Run {
  id: string;
  startedAt: number;
}

const run = (id: string, startedAt: number): Run => ({ id, startedAt });
const page = (items: Run[], token?: string) =>
  paginate(
    items,
    (r) => r.id,
    token,
    2,
    'InvalidInputException',
    (r) => r.startedAt,
  );

describe('paginate', () => {
  it('hands out every item once across pages, even when newer items arrive in between', () => {
    const runs = [run('e', 50), run('d', 40), run('c', 30), run('b', 20), run('a', 10)];
    const first = page(runs);
    expect(first.items.map((r) => r.id)).toEqual(['e', 'd']);
    const second = page([run('f', 60), ...runs], first.nextToken);
    expect(second.items.map((r) => r.id)).toEqual(['c', 'b']);
    const third = page(runs, second.nextToken);
    expect(third).toEqual({ items: [run('a', 10)] });
  });

  it('resumes after a forgotten item at the first item not newer than it', () => {
    const runs = [run('e', 50), run('d', 40), run('c', 30), run('b', 20), run('a', 10)];
    const first = page(runs);
    // 'd' (the token's item) and 'c' are forgotten; a long run 'b' and 'a' stay.
    const second = page([run('f', 60), run('e', 50), run('b', 20), run('a', 10)], first.nextToken);
    expect(second.items.map((r) => r.id)).toEqual(['b', 'a']);
  });

  it('rejects a token it did not hand out, naming the error the service uses', () => {
    const runs = [run('b', 20), run('a', 10)];
    expect(() => page(runs, 'not-a-token')).toThrow(AwsError);
    expect(() => page(runs, 'not-a-token')).toThrow(/pagination token "not-a-token" is not valid/);
    // without a position (a list nothing is forgotten from), an unknown item is a bad token
    const token = page([run('c', 30), run('x', 25), run('b', 20)]).nextToken;
    expect(() => paginate(runs, (r) => r.id, token, 2, 'InvalidInputException')).toThrow(/is not valid/);
  });
});
