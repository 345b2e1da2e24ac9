-- The fulfilment consumer group is spelled as everywhere else in Conveyor. Its offsets, leases,
-- processed marks, retries, dead letters, lag history and open alerts follow it, so a worker
-- started after this migration resumes exactly where the old name left off.
UPDATE "consumer_groups" SET "group" = 'fulfilment' WHERE "group" = 'fulfillment';--> statement-breakpoint
UPDATE "consumer_offsets" SET "group" = 'fulfilment' WHERE "group" = 'fulfillment';--> statement-breakpoint
DELETE FROM "consumer_workers" WHERE "group" = 'fulfillment';--> statement-breakpoint
UPDATE "processed_events" SET "group" = 'fulfilment' WHERE "group" = 'fulfillment';--> statement-breakpoint
UPDATE "retries" SET "group" = 'fulfilment' WHERE "group" = 'fulfillment';--> statement-breakpoint
UPDATE "dead_letters" SET "group" = 'fulfilment' WHERE "group" = 'fulfillment';--> statement-breakpoint
UPDATE "lag_samples" SET "group" = 'fulfilment' WHERE "group" = 'fulfillment';--> statement-breakpoint
UPDATE "alerts" SET "dedupe_key" = replace("dedupe_key", ':fulfillment', ':fulfilment') WHERE "dedupe_key" LIKE '%:fulfillment' AND "status" <> 'resolved';
