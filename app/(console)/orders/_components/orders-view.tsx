'use client';

import { useUrlFilters } from '@/components/use-url-filters';
import { OrderSearch } from './order-search';
import { StuckOrders } from './stuck-orders';

const keys = ['view'] as const;

export function OrdersView() {
  const [{ view }, setFilters] = useUrlFilters(keys);
  const stuck = view === 'stuck';
  return (
    <>
      <div className="tabs" role="tablist" aria-label="Orders view">
        <button type="button" role="tab" aria-selected={!stuck} onClick={() => setFilters({ view: '' })}>
          Search
        </button>
        <button type="button" role="tab" aria-selected={stuck} onClick={() => setFilters({ view: 'stuck' })}>
          Stuck orders
        </button>
      </div>
      {stuck ? <StuckOrders /> : <OrderSearch />}
    </>
  );
}
