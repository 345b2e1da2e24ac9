import { afterEach, describe, expect, it } from 'vitest';
import { orderApiSettings } from './order-api';
import { SettingError } from './settings';

const VARIABLES = ['API_TOKEN_CACHE_MS', 'STOREFRONT_MAX_LINES', 'STOREFRONT_MAX_QUANTITY', 'STOREFRONT_MAX_PAYMENT_TIMEOUT_MS', 'METRICS_TOKEN', 'ORDER_API_SERVES'];
afterEach(() => {
  for (const variable of VARIABLES) delete process.env[variable];
});

describe("the order API's door settings", () => {
  it('default to the documented values', () => {
    for (const variable of VARIABLES) delete process.env[variable];
    expect(orderApiSettings()).toEqual({
      apiTokenCacheMs: 5_000,
      storefrontLimits: { maxLines: 50, maxQuantity: 1_000, maxPaymentTimeoutMs: 86_400_000 },
      metricsToken: null,
      serves: ['storefront', 'sales', 'payments', 'warehouse', 'feed'],
    });
  });

  it('take whole numbers and a long enough metrics token', () => {
    Object.assign(process.env, { STOREFRONT_MAX_LINES: '10', STOREFRONT_MAX_QUANTITY: '3', STOREFRONT_MAX_PAYMENT_TIMEOUT_MS: '600000', API_TOKEN_CACHE_MS: '0', METRICS_TOKEN: 'a-metrics-token-long-enough' });
    expect(orderApiSettings()).toEqual({
      apiTokenCacheMs: 0,
      storefrontLimits: { maxLines: 10, maxQuantity: 3, maxPaymentTimeoutMs: 600_000 },
      metricsToken: 'a-metrics-token-long-enough',
      serves: ['storefront', 'sales', 'payments', 'warehouse', 'feed'],
    });
  });

  it('serve only the surfaces ORDER_API_SERVES lists, e.g. a process for flash sales alone', () => {
    process.env.ORDER_API_SERVES = 'sales';
    expect(orderApiSettings().serves).toEqual(['sales']);
    process.env.ORDER_API_SERVES = ' storefront, payments,warehouse ,feed ';
    expect(orderApiSettings().serves).toEqual(['storefront', 'payments', 'warehouse', 'feed']);
  });

  it('refuse an unusable value with one line naming the variable', () => {
    const cases: [string, string, string][] = [
      ['STOREFRONT_MAX_LINES', 'lots', 'STOREFRONT_MAX_LINES must be a whole number from 1 to'],
      ['STOREFRONT_MAX_QUANTITY', '0', 'STOREFRONT_MAX_QUANTITY must be a whole number from 1 to'],
      ['STOREFRONT_MAX_PAYMENT_TIMEOUT_MS', '1.5', 'STOREFRONT_MAX_PAYMENT_TIMEOUT_MS must be a whole number from 1000 to'],
      ['API_TOKEN_CACHE_MS', '3600000', 'API_TOKEN_CACHE_MS must be a whole number from 0 to 60000'],
      ['METRICS_TOKEN', 'short', 'METRICS_TOKEN must have at least 16 characters'],
      ['ORDER_API_SERVES', 'storefront,checkout', 'ORDER_API_SERVES lists what this order API serves, from storefront, sales, payments, warehouse, feed'],
      ['ORDER_API_SERVES', ',', 'ORDER_API_SERVES lists what this order API serves'],
    ];
    for (const [variable, value, message] of cases) {
      process.env[variable] = value;
      expect(() => orderApiSettings(), variable).toThrow(SettingError);
      expect(() => orderApiSettings(), variable).toThrow(message);
      delete process.env[variable];
    }
  });
});
