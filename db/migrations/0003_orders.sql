CREATE TYPE "public"."order_status" AS ENUM('PENDING_PAYMENT', 'PAID', 'FULFILLING', 'SHIPPED', 'COMPLETED', 'CLOSED', 'REFUNDING', 'REFUNDED', 'REFUND_FAILED');--> statement-breakpoint
CREATE TYPE "public"."refund_kind" AS ENUM('order', 'extra_payment');--> statement-breakpoint
CREATE TYPE "public"."refund_status" AS ENUM('PENDING', 'SUCCEEDED', 'FAILED');--> statement-breakpoint
CREATE TYPE "public"."shipment_status" AS ENUM('ACCEPTED', 'DISPATCHED', 'CANCELLED');--> statement-breakpoint
CREATE TYPE "public"."stock_state" AS ENUM('FROZEN', 'SOLD', 'RELEASED', 'RESTOCKED');--> statement-breakpoint
CREATE TABLE "coupons" (
	"order_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"code" text NOT NULL,
	"value_cents" integer NOT NULL,
	"issued_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "order_items" (
	"order_id" text NOT NULL,
	"sku" text NOT NULL,
	"quantity" integer NOT NULL,
	"unit_price_cents" integer NOT NULL,
	CONSTRAINT "order_items_order_id_sku_pk" PRIMARY KEY("order_id","sku"),
	CONSTRAINT "order_items_quantity_positive" CHECK ("order_items"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"contact_phone" text NOT NULL,
	"status" "order_status" NOT NULL,
	"stock_state" "stock_state" NOT NULL,
	"total_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"payment_deadline" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"payment_id" text,
	"closed_at" timestamp with time zone,
	"close_reason" text,
	"refund_reason" text,
	"carrier" text,
	"tracking_number" text,
	"shipped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "points_ledger" (
	"order_id" text NOT NULL,
	"entry" text NOT NULL,
	"user_id" text NOT NULL,
	"points" integer NOT NULL,
	"event_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "points_ledger_order_id_entry_pk" PRIMARY KEY("order_id","entry")
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"order_id" text NOT NULL,
	"payment_id" text NOT NULL,
	"kind" "refund_kind" NOT NULL,
	"amount_cents" integer NOT NULL,
	"reason" text NOT NULL,
	"status" "refund_status" DEFAULT 'PENDING' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_facts" (
	"order_id" text NOT NULL,
	"fact" text NOT NULL,
	"counted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sales_facts_order_id_fact_pk" PRIMARY KEY("order_id","fact")
);
--> statement-breakpoint
CREATE TABLE "sales_hourly" (
	"hour" timestamp with time zone NOT NULL,
	"sku" text NOT NULL,
	"orders_paid" integer DEFAULT 0 NOT NULL,
	"units_sold" integer DEFAULT 0 NOT NULL,
	"gmv_cents" integer DEFAULT 0 NOT NULL,
	"refunds" integer DEFAULT 0 NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "sales_hourly_hour_sku_pk" PRIMARY KEY("hour","sku")
);
--> statement-breakpoint
CREATE TABLE "shipments" (
	"order_id" text PRIMARY KEY NOT NULL,
	"wms_shipment_id" text NOT NULL,
	"status" "shipment_status" NOT NULL,
	"carrier" text,
	"tracking_number" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "skus" (
	"sku" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"price_cents" integer NOT NULL,
	"total" integer NOT NULL,
	"available" integer NOT NULL,
	"frozen" integer DEFAULT 0 NOT NULL,
	"sold" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "skus_stock_non_negative" CHECK ("skus"."available" >= 0 and "skus"."frozen" >= 0 and "skus"."sold" >= 0),
	CONSTRAINT "skus_price_positive" CHECK ("skus"."price_cents" > 0)
);
--> statement-breakpoint
CREATE TABLE "sms_messages" (
	"order_id" text NOT NULL,
	"kind" text NOT NULL,
	"phone" text NOT NULL,
	"gateway_message_id" text NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sms_messages_order_id_kind_pk" PRIMARY KEY("order_id","kind")
);
--> statement-breakpoint
CREATE TABLE "sim_payments" (
	"id" text PRIMARY KEY NOT NULL,
	"idempotency_key" text NOT NULL,
	"order_id" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"refunded_cents" integer DEFAULT 0 NOT NULL,
	"notify_url" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"notify_attempts" integer DEFAULT 0 NOT NULL,
	"next_notify_at" timestamp with time zone,
	"notified_at" timestamp with time zone,
	"last_notify_error" text,
	CONSTRAINT "sim_payments_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "sim_refunds" (
	"id" text PRIMARY KEY NOT NULL,
	"payment_id" text NOT NULL,
	"amount_cents" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sim_shipments" (
	"order_id" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"status" text NOT NULL,
	"items" text NOT NULL,
	"callback_url" text NOT NULL,
	"pushes" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatch_at" timestamp with time zone NOT NULL,
	"carrier" text,
	"tracking_number" text,
	"callback_attempts" integer DEFAULT 0 NOT NULL,
	"next_callback_at" timestamp with time zone,
	"last_callback_error" text,
	CONSTRAINT "sim_shipments_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "sim_sms_messages" (
	"idempotency_key" text PRIMARY KEY NOT NULL,
	"id" text NOT NULL,
	"phone" text NOT NULL,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sim_waybills" (
	"tracking_number" text PRIMARY KEY NOT NULL,
	"carrier" text NOT NULL,
	"shipment_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sim_waybills_shipment_id_unique" UNIQUE("shipment_id")
);
--> statement-breakpoint
CREATE TABLE "simulator_settings" (
	"simulator" text PRIMARY KEY NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"jitter_ms" integer DEFAULT 0 NOT NULL,
	"failure_rate" double precision DEFAULT 0 NOT NULL,
	"timeout_rate" double precision DEFAULT 0 NOT NULL,
	"lost_response_rate" double precision DEFAULT 0 NOT NULL,
	"reject_rate" double precision DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "simulator_settings_rates" CHECK ("simulator_settings"."failure_rate" between 0 and 1 and "simulator_settings"."timeout_rate" between 0 and 1 and "simulator_settings"."lost_response_rate" between 0 and 1 and "simulator_settings"."reject_rate" between 0 and 1),
	CONSTRAINT "simulator_settings_latency" CHECK ("simulator_settings"."latency_ms" >= 0 and "simulator_settings"."jitter_ms" >= 0)
);
--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_sku_skus_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."skus"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "shipments" ADD CONSTRAINT "shipments_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "orders_status_updated_idx" ON "orders" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "orders_user_created_idx" ON "orders" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "orders" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "payments_order_idx" ON "payments" USING btree ("order_id");--> statement-breakpoint
CREATE UNIQUE INDEX "refunds_payment_idx" ON "refunds" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "refunds_order_idx" ON "refunds" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "sim_payments_due_idx" ON "sim_payments" USING btree ("next_notify_at") WHERE "sim_payments"."next_notify_at" is not null;--> statement-breakpoint
CREATE INDEX "sim_payments_order_idx" ON "sim_payments" USING btree ("order_id");--> statement-breakpoint
CREATE INDEX "sim_shipments_due_idx" ON "sim_shipments" USING btree ("next_callback_at") WHERE "sim_shipments"."next_callback_at" is not null;