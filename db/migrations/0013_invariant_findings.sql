CREATE TABLE "invariant_findings" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"invariant" text NOT NULL,
	"subject" text NOT NULL,
	"order_id" text,
	"detail" text NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "invariant_findings_open_idx" ON "invariant_findings" USING btree ("invariant","subject") WHERE "invariant_findings"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "invariant_findings_order_idx" ON "invariant_findings" USING btree ("order_id") WHERE "invariant_findings"."order_id" is not null;--> statement-breakpoint
CREATE INDEX "invariant_findings_seen_idx" ON "invariant_findings" USING btree ("first_seen_at" DESC NULLS LAST);