ALTER TABLE "skus" DROP CONSTRAINT "skus_stock_non_negative";--> statement-breakpoint
ALTER TABLE "skus" DROP COLUMN "frozen";--> statement-breakpoint
ALTER TABLE "skus" DROP COLUMN "sold";--> statement-breakpoint
ALTER TABLE "skus" ADD CONSTRAINT "skus_available_non_negative" CHECK ("skus"."available" >= 0);