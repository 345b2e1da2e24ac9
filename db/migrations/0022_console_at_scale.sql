DROP INDEX "audit_log_at_idx";--> statement-breakpoint
DROP INDEX "audit_log_target_idx";--> statement-breakpoint
DROP INDEX "orders_status_updated_idx";--> statement-breakpoint
DROP INDEX "orders_user_created_idx";--> statement-breakpoint
DROP INDEX "orders_created_idx";--> statement-breakpoint
CREATE INDEX "dead_letters_dead_group_idx" ON "dead_letters" USING btree ("group") WHERE "dead_letters"."status" = 'dead';--> statement-breakpoint
CREATE INDEX "dead_letters_dead_at_idx" ON "dead_letters" USING btree ("dead_at");--> statement-breakpoint
CREATE INDEX "retries_updated_idx" ON "retries" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "retries_attempt_idx" ON "retries" USING btree ("attempt","group");--> statement-breakpoint
CREATE INDEX "orders_stuck_updated_idx" ON "orders" USING btree ("updated_at","id") WHERE status in ('PENDING_PAYMENT', 'PAID', 'FULFILLING', 'REFUNDING', 'REFUND_FAILED');--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at","id");--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target","at","id");--> statement-breakpoint
CREATE INDEX "orders_status_updated_idx" ON "orders" USING btree ("status","updated_at","id");--> statement-breakpoint
CREATE INDEX "orders_user_created_idx" ON "orders" USING btree ("user_id","created_at","id");--> statement-breakpoint
CREATE INDEX "orders_created_idx" ON "orders" USING btree ("created_at","id");