CREATE TYPE "public"."dead_letter_status" AS ENUM('dead', 'replayed', 'discarded');--> statement-breakpoint
CREATE TYPE "public"."alert_severity" AS ENUM('info', 'warning', 'critical');--> statement-breakpoint
CREATE TYPE "public"."alert_status" AS ENUM('open', 'acknowledged', 'resolved');--> statement-breakpoint
CREATE TABLE "consumer_groups" (
	"group" text PRIMARY KEY NOT NULL,
	"types" text[],
	"topics" text[],
	"max_attempts" integer NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"paused_at" timestamp with time zone,
	"paused_by" text,
	"offsets_reset_at" timestamp with time zone,
	"offsets_reset_by" text,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consumer_offsets" (
	"group" text NOT NULL,
	"partition" integer NOT NULL,
	"committed_offset" bigint DEFAULT 0 NOT NULL,
	"handled_count" bigint DEFAULT 0 NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"committed_at" timestamp with time zone,
	CONSTRAINT "consumer_offsets_group_partition_pk" PRIMARY KEY("group","partition")
);
--> statement-breakpoint
CREATE TABLE "consumer_workers" (
	"group" text NOT NULL,
	"worker_id" text NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "consumer_workers_group_worker_id_pk" PRIMARY KEY("group","worker_id")
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"group" text NOT NULL,
	"event_id" bigint NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text,
	"error_class" text,
	"errors" jsonb NOT NULL,
	"replay_of" bigint,
	"status" "dead_letter_status" DEFAULT 'dead' NOT NULL,
	"dead_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone,
	"replayed_by" text,
	"discarded_at" timestamp with time zone,
	"discarded_by" text,
	"discard_reason" text
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigint PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"key" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"headers" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"deliver_at" timestamp with time zone NOT NULL,
	"logged_at" timestamp with time zone DEFAULT now() NOT NULL,
	"partition" integer NOT NULL,
	"offset" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "lag_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"sampled_at" timestamp with time zone DEFAULT now() NOT NULL,
	"group" text NOT NULL,
	"lag" bigint NOT NULL,
	"oldest_unconsumed_age_ms" bigint,
	"handled_count" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "log_partitions" (
	"partition" integer PRIMARY KEY NOT NULL,
	"next_offset" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"topic" text NOT NULL,
	"key" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"headers" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deliver_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_events" (
	"group" text NOT NULL,
	"event_id" bigint NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_events_group_event_id_pk" PRIMARY KEY("group","event_id")
);
--> statement-breakpoint
CREATE TABLE "retries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"group" text NOT NULL,
	"event_id" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"error_class" text,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"replay_of" bigint,
	"locked_by" text,
	"locked_until" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"severity" "alert_severity" NOT NULL,
	"dedupe_key" text NOT NULL,
	"title" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" "alert_status" DEFAULT 'open' NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"resolution" text
);
--> statement-breakpoint
CREATE INDEX "dead_letters_group_status_idx" ON "dead_letters" USING btree ("group","status","id");--> statement-breakpoint
CREATE INDEX "dead_letters_status_idx" ON "dead_letters" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "dead_letters_event_idx" ON "dead_letters" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "events_partition_offset_idx" ON "events" USING btree ("partition","offset");--> statement-breakpoint
CREATE INDEX "events_key_idx" ON "events" USING btree ("key","id");--> statement-breakpoint
CREATE INDEX "events_logged_at_idx" ON "events" USING btree ("logged_at");--> statement-breakpoint
CREATE INDEX "lag_samples_group_at_idx" ON "lag_samples" USING btree ("group","sampled_at");--> statement-breakpoint
CREATE INDEX "lag_samples_at_idx" ON "lag_samples" USING btree ("sampled_at");--> statement-breakpoint
CREATE INDEX "outbox_deliver_at_idx" ON "outbox" USING btree ("deliver_at","id");--> statement-breakpoint
CREATE INDEX "outbox_key_idx" ON "outbox" USING btree ("key");--> statement-breakpoint
CREATE UNIQUE INDEX "retries_group_event_idx" ON "retries" USING btree ("group","event_id");--> statement-breakpoint
CREATE INDEX "retries_due_idx" ON "retries" USING btree ("group","next_attempt_at");--> statement-breakpoint
CREATE INDEX "retries_event_idx" ON "retries" USING btree ("event_id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_dedupe_key_idx" ON "alerts" USING btree ("dedupe_key") WHERE "alerts"."status" <> 'resolved';--> statement-breakpoint
CREATE INDEX "alerts_status_last_seen_idx" ON "alerts" USING btree ("status","last_seen_at" DESC NULLS LAST);