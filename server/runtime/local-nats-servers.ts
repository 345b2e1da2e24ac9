import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { freePort } from '@/db/embedded';

const NATS_SERVER = process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server';

interface Node {
  name: string;
  clientPort: number;
  clusterPort: number;
  configFile: string;
  process: ChildProcess | null;
  exited: Promise<void>;
}

/**
 * One NATS server, or a cluster of three on loopback, for tests and `npm run chaos`: free ports,
 * a store directory each under `root` (default a fresh one under .data/), never the server that
 * may run on 4222. `start` resolves once JetStream answers (in a cluster: once it has a meta leader).
 */
export class NatsServers {
  private constructor(
    private readonly nodes: Node[],
    private readonly root: string,
  ) {}

  static async start(size: 1 | 3, options: { root?: string } = {}): Promise<NatsServers> {
    const root = options.root ?? path.resolve('.data', 'nats-tests', randomBytes(4).toString('hex'));
    const nodes: Node[] = [];
    for (let index = 0; index < size; index++) {
      nodes.push({ name: `n${index + 1}`, clientPort: await freePort(), clusterPort: await freePort(), configFile: '', process: null, exited: Promise.resolve() });
    }
    for (const node of nodes) {
      const store = path.join(root, node.name);
      mkdirSync(store, { recursive: true });
      const routes = nodes.filter((other) => other !== node).map((other) => `nats-route://127.0.0.1:${other.clusterPort}`);
      const cluster =
        size === 1 ? '' : `cluster { name: conveyor-local, listen: "127.0.0.1:${node.clusterPort}", routes: [${routes.map((route) => `"${route}"`).join(', ')}] }`;
      node.configFile = path.join(root, `${node.name}.conf`);
      writeFileSync(
        node.configFile,
        `server_name: ${node.name}\nlisten: "127.0.0.1:${node.clientPort}"\nlog_file: "${path.join(root, `${node.name}.log`)}"\njetstream { store_dir: "${store}" }\n${cluster}\n`,
      );
    }
    const servers = new NatsServers(nodes, root);
    for (const node of nodes) servers.launch(node);
    await servers.waitUntilReady();
    return servers;
  }

  get urls(): string[] {
    return this.nodes.map((node) => `nats://127.0.0.1:${node.clientPort}`);
  }

  get names(): string[] {
    return this.nodes.map((node) => node.name);
  }

  /** SIGKILL: the server dies without flushing anything; its store stays for a restart. */
  async kill(name: string): Promise<void> {
    const node = this.node(name);
    node.process?.kill('SIGKILL');
    await node.exited;
    node.process = null;
  }

  /** Starts a killed server again on its ports and its store. */
  restart(name: string): void {
    this.launch(this.node(name));
  }

  /** The server leading the stream's Raft group, or null while there is none. */
  async streamLeader(stream: string): Promise<string | null> {
    return (await this.streamCluster(stream))?.leader ?? null;
  }

  /** The stream's leader and whether each other replica is current, or null while unanswered. */
  async streamCluster(stream: string): Promise<{ leader: string | null; replicas: { name: string; current: boolean }[] } | null> {
    try {
      const connection = await connect({ servers: this.runningUrls(), timeout: 2_000, reconnect: false });
      try {
        const jsm = await jetstreamManager(connection, { timeout: 2_000 });
        const { cluster } = await jsm.streams.info(stream);
        return { leader: cluster?.leader ?? null, replicas: (cluster?.replicas ?? []).map(({ name, current }) => ({ name, current })) };
      } finally {
        await connection.close();
      }
    } catch {
      return null;
    }
  }

  /** Whether a server is running (not killed, or restarted since). */
  running(name: string): boolean {
    return this.node(name).process !== null;
  }

  /**
   * Whether the servers still running answer a JetStream request with "temporarily unavailable":
   * what a server says once it knows the cluster has no meta leader (it lost its majority).
   */
  async saysJetStreamUnavailable(): Promise<boolean> {
    const connection = await connect({ servers: this.runningUrls(), timeout: 2_000, reconnect: false }).catch(() => null);
    if (!connection) return false;
    try {
      const jsm = await jetstreamManager(connection, { timeout: 2_000, checkAPI: false });
      await jsm.getAccountInfo();
      return false;
    } catch (error) {
      return /temporarily unavailable/i.test(String(error));
    } finally {
      await connection.close();
    }
  }

  async waitUntilReady(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const connection = await connect({ servers: this.runningUrls(), timeout: 1_000, reconnect: false });
        try {
          const jsm = await jetstreamManager(connection, { timeout: 1_000 });
          await jsm.getAccountInfo();
          return;
        } finally {
          await connection.close();
        }
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`the NATS servers did not answer JetStream requests within ${timeoutMs} ms: ${(error as Error).message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Kills every server; their stores are deleted unless `keepStores` (a failed chaos run keeps them). */
  async stop(options: { keepStores?: boolean } = {}): Promise<void> {
    for (const node of this.nodes) {
      node.process?.kill('SIGKILL');
      await node.exited;
      node.process = null;
    }
    if (!options.keepStores) rmSync(this.root, { recursive: true, force: true });
  }

  private runningUrls(): string[] {
    return this.nodes.filter((node) => node.process).map((node) => `nats://127.0.0.1:${node.clientPort}`);
  }

  private node(name: string): Node {
    const node = this.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no NATS server named ${name}`);
    return node;
  }

  private launch(node: Node): void {
    const child = spawn(NATS_SERVER, ['-c', node.configFile], { stdio: 'ignore' });
    node.process = child;
    node.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }
}
