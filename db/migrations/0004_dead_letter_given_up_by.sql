ALTER TABLE "dead_letters" ADD COLUMN "given_up_by" text;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD COLUMN "give_up_reason" text;