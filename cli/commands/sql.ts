import { connectCli } from '../connect';

export async function sqlCommand(query: string): Promise<void> {
  const cli = await connectCli();
  try {
    if (!cli.warehouse)
      throw new Error('no warehouse to query: run `npm start` first, or set MEDALLION_CONFIG');
    const rows = await cli.warehouse(query);
    if (rows.length === 0) {
      process.stdout.write('(no rows)\n');
      return;
    }
    console.table(rows);
  } finally {
    await cli.close();
  }
}
