CREATE TABLE "received_webhooks" (
	"sender" text NOT NULL,
	"webhook_id" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "received_webhooks_sender_webhook_id_pk" PRIMARY KEY("sender","webhook_id")
);
