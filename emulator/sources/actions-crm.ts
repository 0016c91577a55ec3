import { MalformedReason, type AccountVersion } from './shop-changes';
import { LIFECYCLE_STAGES, type AccountRow } from './shop-schema';
import { ACCOUNT_OWNERS, EMAIL_DOMAINS, FIRST_NAMES, LAST_NAMES } from './shop-vocabulary';
import type { DayContext } from './shop-world';
import type { SeededRandom } from './seeded-random';

/** Salesforce-style 18-character id: key prefix 001 (Account) and a base-36 counter. */
function accountId(counter: number): string {
  return `001${counter.toString(36).toUpperCase().padStart(15, '0')}`;
}

/** A CRM account: most belong to a shop customer (same email), the rest are leads. */
export function newAccount(ctx: DayContext, atMs: number): void {
  const random = ctx.random.crm;
  const id = accountId(ctx.state.nextIds.account++);
  const customerId = random.chance(0.7) ? ctx.state.customers.pickKey(random) : undefined;
  const customer = customerId === undefined ? undefined : ctx.state.customers.get(customerId);
  const row: AccountRow = customer
    ? {
        account_id: id,
        customer_email: customer.email!.trim().toLowerCase(),
        name: customer.full_name,
        owner: random.pick(ACCOUNT_OWNERS),
        lifecycle_stage: 'customer',
        last_modified: new Date(atMs),
      }
    : {
        account_id: id,
        customer_email: `lead.${id.slice(-6).toLowerCase()}@${random.pick(EMAIL_DOMAINS)}`,
        name: `${random.pick(FIRST_NAMES)} ${random.pick(LAST_NAMES)}`,
        owner: random.pick(ACCOUNT_OWNERS),
        lifecycle_stage: random.chance(0.5) ? 'lead' : 'prospect',
        last_modified: new Date(atMs),
      };
  record(ctx, random, row);
}

/** An edit by a sales rep: owner, stage or name; a malformed email stays until the next edit fixes it. */
export function editAccount(ctx: DayContext, atMs: number): void {
  const random = ctx.random.crm;
  const id = ctx.state.accounts.pickKey(random);
  if (id === undefined) return;
  const current = ctx.state.accounts.get(id)!;
  const row: AccountRow = { ...current.row, last_modified: new Date(atMs) };
  if (current.malformed) row.customer_email = row.customer_email!.replace(' at ', '@');
  switch (random.int(0, 2)) {
    case 0:
      row.owner = random.pick(ACCOUNT_OWNERS.filter((owner) => owner !== current.row.owner));
      break;
    case 1:
      row.lifecycle_stage = random.pick(
        LIFECYCLE_STAGES.filter((stage) => stage !== current.row.lifecycle_stage),
      );
      break;
    default:
      row.name = `${row.name!.split(' ')[0]} ${random.pick(LAST_NAMES)}`;
  }
  record(ctx, random, row);
}

function record(ctx: DayContext, random: SeededRandom, row: AccountRow): void {
  const malformed = random.chance(ctx.options.malformedRate);
  const version: AccountVersion = malformed
    ? {
        row: { ...row, customer_email: row.customer_email!.replace('@', ' at ') },
        malformed: MalformedReason.accountEmailNotAddress,
      }
    : { row, malformed: null };
  ctx.state.accounts.set(row.account_id!, version);
  ctx.emitAccount(version);
}
