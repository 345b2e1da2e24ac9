CREATE TABLE "received_webhooks" (
	"sender" text NOT NULL,
	"webhook_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "received_webhooks_sender_webhook_id_pk" PRIMARY KEY("sender","webhook_id")
);
--> statement-breakpoint
ALTER TABLE "sim_payments" ADD COLUMN "notify_given_up_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "sim_shipments" ADD COLUMN "callback_given_up_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "received_webhooks_received_at_idx" ON "received_webhooks" USING btree ("received_at");