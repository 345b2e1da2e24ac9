/** Where `seed:scale` and `bench:console` keep their embedded PostgreSQL when DATABASE_URL is unset: never the demo database. */
export const SCALE_DATA_DIR = '.data/scale-postgres';
