/** npm run migrate: apply pending migrations to DATABASE_URL or the embedded database. */
import { openDatabase } from '../lib/db';
import { migrate } from '../lib/migrate';

(async () => {
  const db = await openDatabase();
  try {
    const applied = await migrate(db.sequelize);
    console.log(JSON.stringify({ applied }));
  } finally {
    await db.close();
  }
})().catch((e) => {
  console.error(`migrate failed: ${(e as Error).message}`);
  process.exit(1);
});
