export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { startServerRuntime } = await import('./server/runtime/server-runtime');
    await startServerRuntime();
  }
}
