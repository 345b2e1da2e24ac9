CREATE TABLE "lag_minutes" (
	"minute" timestamp with time zone NOT NULL,
	"group" text NOT NULL,
	"lag" bigint NOT NULL,
	"oldest_unconsumed_age_ms" bigint,
	CONSTRAINT "lag_minutes_minute_group_pk" PRIMARY KEY("minute","group")
);
--> statement-breakpoint
INSERT INTO "lag_minutes" ("minute", "group", "lag", "oldest_unconsumed_age_ms")
SELECT date_trunc('minute', "sampled_at"), "group", max("lag"), max("oldest_unconsumed_age_ms") FROM "lag_samples" GROUP BY 1, 2;
