ALTER TABLE "sim_payments" ADD COLUMN "notify_given_up_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sim_shipments" ADD COLUMN "callback_given_up_at" timestamp with time zone;