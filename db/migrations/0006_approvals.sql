CREATE TYPE "public"."approval_status" AS ENUM('pending', 'executing', 'executed', 'rejected', 'failed');--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"action" text NOT NULL,
	"summary" text NOT NULL,
	"input" jsonb NOT NULL,
	"input_hash" text NOT NULL,
	"required_role" "role" NOT NULL,
	"requested_by_id" text NOT NULL,
	"requested_by_email" text NOT NULL,
	"requested_by_role" "role" NOT NULL,
	"reason" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" "approval_status" DEFAULT 'pending' NOT NULL,
	"decided_by_id" text,
	"decided_by_email" text,
	"decision_note" text,
	"decided_at" timestamp with time zone,
	"result" jsonb,
	"error" text
);
--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status","requested_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_open_request_idx" ON "approvals" USING btree ("requested_by_id","action","input_hash") WHERE "approvals"."status" = 'pending';