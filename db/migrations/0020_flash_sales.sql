CREATE TYPE "public"."sale_attempt_outcome" AS ENUM('admitted', 'sold_out', 'limit_reached', 'not_live');--> statement-breakpoint
CREATE TYPE "public"."sale_end_reason" AS ENUM('sold_out', 'time_up', 'manual');--> statement-breakpoint
CREATE TYPE "public"."sale_return" AS ENUM('sale', 'stock');--> statement-breakpoint
CREATE TYPE "public"."sale_state" AS ENUM('scheduled', 'live', 'paused', 'ended');--> statement-breakpoint
CREATE TABLE "sale_attempt_seconds" (
	"sale_id" text NOT NULL,
	"second" timestamp with time zone NOT NULL,
	"admitted" integer DEFAULT 0 NOT NULL,
	"sold_out" integer DEFAULT 0 NOT NULL,
	"limit_reached" integer DEFAULT 0 NOT NULL,
	"not_live" integer DEFAULT 0 NOT NULL,
	"throttled" integer DEFAULT 0 NOT NULL,
	"decision_buckets" bigint[] NOT NULL,
	CONSTRAINT "sale_attempt_seconds_sale_id_second_pk" PRIMARY KEY("sale_id","second")
);
--> statement-breakpoint
CREATE TABLE "sale_attempts" (
	"sale_id" text NOT NULL,
	"attempt_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"contact_phone" text,
	"outcome" "sale_attempt_outcome" NOT NULL,
	"shard" integer,
	"reservation_id" text,
	"payment_deadline" timestamp with time zone,
	"decided_at" timestamp with time zone DEFAULT now() NOT NULL,
	"order_id" text,
	"order_created_at" timestamp with time zone,
	"returned_to" "sale_return",
	CONSTRAINT "sale_attempts_attempt_id_sale_id_pk" PRIMARY KEY("attempt_id","sale_id")
);
--> statement-breakpoint
CREATE TABLE "sale_buyers" (
	"sale_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"units" integer NOT NULL,
	CONSTRAINT "sale_buyers_buyer_id_sale_id_pk" PRIMARY KEY("buyer_id","sale_id")
);
--> statement-breakpoint
CREATE TABLE "sale_shards" (
	"sale_id" text NOT NULL,
	"shard" integer NOT NULL,
	"units_left" integer NOT NULL,
	CONSTRAINT "sale_shards_sale_id_shard_pk" PRIMARY KEY("sale_id","shard"),
	CONSTRAINT "sale_shards_units_left_non_negative" CHECK ("sale_shards"."units_left" >= 0)
);
--> statement-breakpoint
CREATE TABLE "sales" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"sku" text NOT NULL,
	"units_armed" integer NOT NULL,
	"price_cents" integer NOT NULL,
	"per_buyer_limit" integer NOT NULL,
	"highest_buyer_limit" integer NOT NULL,
	"payment_timeout_ms" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"state" "sale_state" DEFAULT 'scheduled' NOT NULL,
	"end_reason" "sale_end_reason",
	"units_returned_at_end" integer DEFAULT 0 NOT NULL,
	"armed_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone,
	CONSTRAINT "sales_units_positive" CHECK ("sales"."units_armed" > 0),
	CONSTRAINT "sales_price_positive" CHECK ("sales"."price_cents" > 0),
	CONSTRAINT "sales_limit_positive" CHECK ("sales"."per_buyer_limit" > 0),
	CONSTRAINT "sales_ends_after_start" CHECK ("sales"."ends_at" > "sales"."starts_at")
);
--> statement-breakpoint
ALTER TABLE "sale_shards" ADD CONSTRAINT "sale_shards_sale_id_sales_id_fk" FOREIGN KEY ("sale_id") REFERENCES "public"."sales"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sales" ADD CONSTRAINT "sales_sku_skus_sku_fk" FOREIGN KEY ("sku") REFERENCES "public"."skus"("sku") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "sale_attempts_order_idx" ON "sale_attempts" USING btree ("order_id") WHERE "sale_attempts"."order_id" is not null;--> statement-breakpoint
CREATE INDEX "sale_attempts_awaiting_order_idx" ON "sale_attempts" USING btree ("sale_id") WHERE "sale_attempts"."outcome" = 'admitted' and "sale_attempts"."order_id" is null;--> statement-breakpoint
CREATE INDEX "sale_attempts_admitted_idx" ON "sale_attempts" USING btree ("sale_id","buyer_id") WHERE "sale_attempts"."outcome" = 'admitted';--> statement-breakpoint
CREATE INDEX "sales_created_idx" ON "sales" USING btree ("created_at" DESC NULLS LAST);