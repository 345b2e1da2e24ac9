import postgres from 'postgres';

export interface AppRole {
  /** A login role, created when missing; never a superuser, and unable to create roles or databases. */
  role: string;
  password: string;
  /** Created when missing, owned by `role`. */
  database: string;
}

const ident = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`${name} is not a plain PostgreSQL identifier`);
  return name;
};
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * Run as a superuser (the embedded server's bootstrap user): makes `role` the owner of `database`
 * and of everything in it, so migrations and the app run as a role that owns its schema and no
 * more. Objects made earlier by the superuser (a data directory from before this role existed, a
 * clone of a template) are handed over too. Safe to run at every start and from several processes
 * at once (an advisory lock serializes them). Returns the URL the app connects with.
 */
export async function provisionAppRole(adminUrl: string, app: AppRole): Promise<string> {
  const role = ident(app.role);
  const database = ident(app.database);
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_advisory_lock(72707002)`;
    const [existing] = await admin<{ rolsuper: boolean }[]>`select rolsuper from pg_roles where rolname = ${role}`;
    if (existing?.rolsuper) throw new Error(`the role ${role} is a superuser; the app must not connect as one`);
    await admin.unsafe(`${existing ? 'alter' : 'create'} role ${role} login nosuperuser nocreatedb nocreaterole password ${literal(app.password)}`);
    const [found] = await admin`select 1 from pg_database where datname = ${database}`;
    await admin.unsafe(found ? `alter database ${database} owner to ${role}` : `create database ${database} owner ${role}`);
    await admin`select pg_advisory_unlock(72707002)`;
  } finally {
    await admin.end();
  }

  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  const inDatabase = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    // Everything the superuser owns in the app's schemas (public, drizzle, and any other it made).
    await inDatabase.unsafe(`
      do $$
      declare
        target record;
      begin
        for target in
          select format('alter schema %I owner to ${role}', nspname) as statement
            from pg_namespace
           where nspowner = (select oid from pg_roles where rolname = current_user)
             and nspname not like 'pg\\_%' and nspname <> 'information_schema'
          union all
          select format('alter %s %I.%I owner to ${role}',
                        case c.relkind when 'S' then 'sequence' when 'v' then 'view' when 'm' then 'materialized view' when 'f' then 'foreign table' else 'table' end,
                        n.nspname, c.relname)
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relowner = (select oid from pg_roles where rolname = current_user)
             and c.relkind in ('r', 'p', 'S', 'v', 'm', 'f')
             and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
             -- A serial or identity sequence follows its table's owner and cannot be given away alone.
             and not exists (select 1 from pg_depend d
                              where d.classid = 'pg_class'::regclass and d.objid = c.oid
                                and d.refclassid = 'pg_class'::regclass and d.deptype in ('a', 'i'))
          union all
          select format('alter type %I.%I owner to ${role}', n.nspname, t.typname)
            from pg_type t join pg_namespace n on n.oid = t.typnamespace
           where t.typowner = (select oid from pg_roles where rolname = current_user)
             and t.typtype in ('e', 'd', 'r', 'm')
             and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
          union all
          select format('alter routine %I.%I(%s) owner to ${role}', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid))
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where p.proowner = (select oid from pg_roles where rolname = current_user)
             and n.nspname not like 'pg\\_%' and n.nspname <> 'information_schema'
        loop
          execute target.statement;
        end loop;
      end
      $$`);
  } finally {
    await inDatabase.end();
  }
  url.username = role;
  url.password = app.password;
  return url.toString();
}
