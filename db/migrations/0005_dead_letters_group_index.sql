DROP INDEX "dead_letters_group_status_idx";--> statement-breakpoint
CREATE INDEX "dead_letters_group_idx" ON "dead_letters" USING btree ("group","id");