import { rmSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from './embedded';

const dir = path.resolve(`.data/test-embedded-${process.pid}`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('embedded PostgreSQL', () => {
  it('starts a real server, is adopted by a second starter instead of started twice, keeps data across restarts, and stops', async () => {
    const first = await startEmbeddedPostgres({ dir, quiet: true });
    expect(first.owned).toBe(true);
    const sql = postgres(first.adminUrl, { max: 1, onnotice: () => {} });
    await sql`create table kept (note text)`;
    await sql`insert into kept values ('survives a restart')`;
    await sql.end();

    const second = await startEmbeddedPostgres({ dir, quiet: true });
    expect(second.owned).toBe(false);
    expect(second.port).toBe(first.port);

    await first.stop();
    await expect(postgres(first.adminUrl, { max: 1, connect_timeout: 2 })`select 1`).rejects.toThrow();

    const again = await startEmbeddedPostgres({ dir, quiet: true });
    const reopened = postgres(again.adminUrl, { max: 1, onnotice: () => {} });
    expect(await reopened`select note from kept`).toEqual([{ note: 'survives a restart' }]);
    await reopened.end();
    await again.stop();
  }, 120_000);
});
