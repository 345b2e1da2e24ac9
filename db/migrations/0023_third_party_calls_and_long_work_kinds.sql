ALTER TYPE "public"."long_work_kind" ADD VALUE 'offset_reset_redelivery';--> statement-breakpoint
ALTER TYPE "public"."long_work_kind" ADD VALUE 'bulk_order_action';--> statement-breakpoint
CREATE TABLE "third_party_calls" (
	"integration" text NOT NULL,
	"slot" timestamp with time zone NOT NULL,
	"successes" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "third_party_calls_integration_slot_pk" PRIMARY KEY("integration","slot")
);
--> statement-breakpoint
CREATE INDEX "third_party_calls_slot_idx" ON "third_party_calls" USING btree ("slot");