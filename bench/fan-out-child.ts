/**
 * The processes `bench:pipeline` starts beside itself: the latency runs' producers (apart from
 * the system they measure, as the order API is) and the peers' worker processes.
 * Usage (by fan-out-system.ts only): fan-out-child.ts <role> <settings as JSON>
 */
import { produceBullmqJobs, runBullmqWorkerProcess } from './peer-bullmq';
import { produceConveyorEvents } from './peer-conveyor';
import { produceGraphileJobs, runGraphileWorkerProcess } from './peer-graphile-worker';

const roles: Record<string, (settings: never) => Promise<void>> = {
  'conveyor-producer': produceConveyorEvents,
  'graphile-producer': produceGraphileJobs,
  'graphile-worker': runGraphileWorkerProcess,
  'bullmq-producer': produceBullmqJobs,
  'bullmq-worker': runBullmqWorkerProcess,
};

// The benchmark that started this process is gone (crashed or interrupted): nothing is left to serve.
process.on('disconnect', () => process.exit(1));

const [role, settings] = process.argv.slice(2);
const run = roles[role ?? ''];
if (!run) throw new Error(`unknown bench child role "${role}"`);
await run(JSON.parse(settings ?? '{}') as never);
process.exit(0);
