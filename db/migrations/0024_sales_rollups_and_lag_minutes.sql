CREATE TABLE "lag_minutes" (
	"minute" timestamp with time zone NOT NULL,
	"group" text NOT NULL,
	"lag" bigint NOT NULL,
	"oldest_unconsumed_age_ms" bigint,
	CONSTRAINT "lag_minutes_minute_group_pk" PRIMARY KEY("minute","group")
);
--> statement-breakpoint
CREATE TABLE "sales_daily" (
	"day" timestamp with time zone NOT NULL,
	"sku" text NOT NULL,
	"orders_paid" integer DEFAULT 0 NOT NULL,
	"units_sold" integer DEFAULT 0 NOT NULL,
	"gmv_cents" bigint DEFAULT 0 NOT NULL,
	"refunds" integer DEFAULT 0 NOT NULL,
	"refunded_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "sales_daily_day_sku_pk" PRIMARY KEY("day","sku")
);
--> statement-breakpoint
CREATE TABLE "sales_hourly_totals" (
	"hour" timestamp with time zone PRIMARY KEY NOT NULL,
	"orders_paid" integer DEFAULT 0 NOT NULL,
	"units_sold" integer DEFAULT 0 NOT NULL,
	"gmv_cents" bigint DEFAULT 0 NOT NULL,
	"refunds" integer DEFAULT 0 NOT NULL,
	"refunded_cents" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
INSERT INTO "sales_hourly_totals" ("hour", "orders_paid", "units_sold", "gmv_cents", "refunds", "refunded_cents")
SELECT "hour", sum("orders_paid"), sum("units_sold"), sum("gmv_cents"), sum("refunds"), sum("refunded_cents") FROM "sales_hourly" GROUP BY "hour";
--> statement-breakpoint
INSERT INTO "sales_daily" ("day", "sku", "orders_paid", "units_sold", "gmv_cents", "refunds", "refunded_cents")
SELECT date_trunc('day', "hour", 'UTC'), "sku", sum("orders_paid"), sum("units_sold"), sum("gmv_cents"), sum("refunds"), sum("refunded_cents") FROM "sales_hourly" GROUP BY 1, 2;
--> statement-breakpoint
INSERT INTO "lag_minutes" ("minute", "group", "lag", "oldest_unconsumed_age_ms")
SELECT date_trunc('minute', "sampled_at"), "group", max("lag"), max("oldest_unconsumed_age_ms") FROM "lag_samples" GROUP BY 1, 2;
