import type { OrderStatus } from '@/shared/order-status';

const tone: Record<OrderStatus, string> = {
  PENDING_PAYMENT: 'pending',
  PAID: 'info',
  FULFILLING: 'info',
  SHIPPED: 'ok',
  CLOSED: '',
  REFUNDING: 'pending',
  REFUNDED: 'ok',
  REFUND_FAILED: 'error',
};

export function StatusBadge({ status, testId }: { status: OrderStatus; testId?: string }) {
  return (
    <span className={`badge ${tone[status]}`} data-testid={testId}>
      {status}
    </span>
  );
}
