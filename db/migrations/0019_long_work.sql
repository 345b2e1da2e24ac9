CREATE TYPE "public"."long_work_kind" AS ENUM('dead_letter_replay', 'reconciliation_run');--> statement-breakpoint
CREATE TYPE "public"."long_work_state" AS ENUM('running', 'finished', 'failed');--> statement-breakpoint
CREATE TABLE "long_work" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" "long_work_kind" NOT NULL,
	"label" text NOT NULL,
	"started_from" text NOT NULL,
	"started_by" text NOT NULL,
	"reason" text NOT NULL,
	"total" integer NOT NULL,
	"done" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"state" "long_work_state" DEFAULT 'running' NOT NULL,
	"subject" jsonb NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "long_work_running_idx" ON "long_work" USING btree ("started_at") WHERE "long_work"."state" = 'running';--> statement-breakpoint
CREATE INDEX "long_work_started_from_idx" ON "long_work" USING btree ("started_from","started_at" DESC NULLS LAST);