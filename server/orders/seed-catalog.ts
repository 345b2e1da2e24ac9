import type { Executor } from '@/db/client';
import { skus } from '@/db/schema';

const DEMO_STOCK = 100_000;

/** The demo catalog: priced SKUs with enough stock for load runs. */
export const demoCatalog = [
  ['SKU-TSHIRT-BLK', 'T-shirt, black', 1_999],
  ['SKU-TSHIRT-WHT', 'T-shirt, white', 1_999],
  ['SKU-HOODIE-GRY', 'Hoodie, grey', 4_999],
  ['SKU-JEANS-32', 'Jeans, 32', 5_999],
  ['SKU-SNEAKER-42', 'Sneakers, 42', 8_999],
  ['SKU-CAP-RED', 'Cap, red', 1_499],
  ['SKU-SOCKS-3PK', 'Socks, 3 pack', 999],
  ['SKU-BACKPACK', 'Backpack', 6_499],
  ['SKU-MUG', 'Mug', 1_299],
  ['SKU-HEADPHONES', 'Headphones', 12_999],
  ['SKU-CHARGER', 'USB-C charger', 2_499],
  ['SKU-BOTTLE', 'Water bottle', 1_799],
] as const;

/** Inserts the demo catalog; SKUs that already exist are left untouched, so it runs on every start. */
export async function seedCatalog(db: Executor): Promise<{ inserted: number }> {
  const rows = await db
    .insert(skus)
    .values(demoCatalog.map(([sku, name, priceCents]) => ({ sku, name, priceCents, total: DEMO_STOCK, available: DEMO_STOCK })))
    .onConflictDoNothing()
    .returning({ sku: skus.sku });
  return { inserted: rows.length };
}
