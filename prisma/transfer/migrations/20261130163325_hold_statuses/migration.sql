-- AlterEnum: a migration of its own, because PostgreSQL refuses to use an enum value in the
-- transaction that added it (the next migration's partial index names 'HELD').
ALTER TYPE "transfer_status" ADD VALUE 'HELD';
ALTER TYPE "transfer_status" ADD VALUE 'CAPTURING';
ALTER TYPE "transfer_status" ADD VALUE 'CAPTURED';
ALTER TYPE "transfer_status" ADD VALUE 'VOIDING';
ALTER TYPE "transfer_status" ADD VALUE 'VOIDED';
ALTER TYPE "transfer_status" ADD VALUE 'EXPIRING';
ALTER TYPE "transfer_status" ADD VALUE 'EXPIRED';
