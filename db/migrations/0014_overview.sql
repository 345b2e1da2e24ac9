CREATE TABLE "http_latency_minutes" (
	"route" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"bucket_counts" bigint[] NOT NULL,
	CONSTRAINT "http_latency_minutes_route_minute_pk" PRIMARY KEY("route","minute")
);
--> statement-breakpoint
CREATE TABLE "overview_samples" (
	"metric" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"value" double precision,
	CONSTRAINT "overview_samples_metric_minute_pk" PRIMARY KEY("metric","minute")
);
--> statement-breakpoint
CREATE INDEX "http_latency_minutes_minute_idx" ON "http_latency_minutes" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "overview_samples_minute_idx" ON "overview_samples" USING btree ("minute");--> statement-breakpoint
CREATE INDEX "orders_paid_idx" ON "orders" USING btree ("paid_at") WHERE "orders"."paid_at" is not null;