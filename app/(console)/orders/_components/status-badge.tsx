import type { OrderStatus } from '@/db/schema';

const tone: Record<OrderStatus, string> = {
  PENDING_PAYMENT: 'pending',
  PAID: 'info',
  FULFILLING: 'info',
  SHIPPED: 'ok',
  COMPLETED: 'ok',
  CLOSED: '',
  REFUNDING: 'pending',
  REFUNDED: 'ok',
  REFUND_FAILED: 'error',
};

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`badge ${tone[status]}`} data-testid="order-status">
      {status}
    </span>
  );
}
