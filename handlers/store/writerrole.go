package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// provisionWriter prepares the database for the writer as the admin (cfg.AdminUser), over one
// connection of its own that it closes before returning. In one transaction holding the
// schema advisory lock (so concurrent cold starts take turns) it:
//
//   - creates the writer's role (CREATE ROLE <user> LOGIN) when it does not exist;
//   - grants it cfg.writerIAMRole() ("rds_iam", which lets it log in with an IAM token) when that
//     role exists — on RDS it does, on a plain PostgreSQL it does not;
//   - grants CONNECT and TEMPORARY (records mode COPYs into a temporary table) on the
//     database and USAGE on the schema the tables live in;
//   - runs the migrations itself, so the admin owns the tables;
//   - grants SELECT on schema_version, SELECT and INSERT on fetches, and SELECT, INSERT and
//     UPDATE on the records table (with USAGE on its schema when it is schema-qualified).
//
// The writer so gets exactly the DML its Put needs and no CREATE anywhere: it cannot create,
// alter or drop tables. Every step is idempotent, so it runs at every cold start. Tables the
// writer already owns (made by an older writer that migrated as itself) are left as they are.
func provisionWriter(ctx context.Context, cfg Config) error {
	writer, err := cfg.writerUser()
	if err != nil {
		return err
	}
	cc, err := cfg.adminConnConfig()
	if err != nil {
		return err
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		// pgx's connect errors name the user and host, never the password.
		return fmt.Errorf("store: writer role setup: connect as %s: %w", cfg.AdminUser, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		return createWriterRole(ctx, tx, writer, cfg.writerIAMRole(), cfg.RecordsTable)
	})
	if err != nil {
		return fmt.Errorf("store: writer role setup: role %s as %s: %w", writer, cfg.AdminUser, err)
	}
	return nil
}

// writerUser is the role the data connection logs in as.
func (c Config) writerUser() (string, error) {
	if c.URL == "" {
		return c.User, nil
	}
	pc, err := pgx.ParseConfig(c.URL)
	if err != nil {
		return "", fmt.Errorf("store config: DATABASE_URL does not parse: %w", redact(err))
	}
	return pc.User, nil
}

// createWriterRole runs provisionWriter's steps inside tx.
func createWriterRole(ctx context.Context, tx pgx.Tx, writer, iamRole, recordsTable string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLockID); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	w := pgx.Identifier{writer}.Sanitize()
	exec := func(what, sql string) error {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	roleExists := func(name string) (bool, error) {
		var ok bool
		err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`, name).Scan(&ok)
		if err != nil {
			return false, fmt.Errorf("look up role %s: %w", name, err)
		}
		return ok, nil
	}
	ok, err := roleExists(writer)
	if err != nil {
		return err
	}
	if !ok {
		if err := exec("create role", `CREATE ROLE `+w+` LOGIN`); err != nil {
			return err
		}
	}
	if ok, err = roleExists(iamRole); err != nil {
		return err
	}
	if ok {
		if err := exec("grant "+iamRole, `GRANT `+pgx.Identifier{iamRole}.Sanitize()+` TO `+w); err != nil {
			return err
		}
	}
	var db, schema string
	if err := tx.QueryRow(ctx, `SELECT current_database(), current_schema()`).Scan(&db, &schema); err != nil {
		return fmt.Errorf("current database and schema: %w", err)
	}
	if err := exec("grant on database", `GRANT CONNECT, TEMPORARY ON DATABASE `+pgx.Identifier{db}.Sanitize()+` TO `+w); err != nil {
		return err
	}
	if err := exec("grant on schema", `GRANT USAGE ON SCHEMA `+pgx.Identifier{schema}.Sanitize()+` TO `+w); err != nil {
		return err
	}
	if err := migrate(ctx, tx, recordsTable); err != nil {
		return err
	}
	tables := []struct{ name, privileges string }{
		{"schema_version", "SELECT"},
		{"fetches", "SELECT, INSERT"},
	}
	if recordsTable != "" {
		tables = append(tables, struct{ name, privileges string }{recordsTable, "SELECT, INSERT, UPDATE"})
		if s, _, qualified := strings.Cut(recordsTable, "."); qualified {
			if err := exec("grant on schema "+s, `GRANT USAGE ON SCHEMA `+pgx.Identifier{s}.Sanitize()+` TO `+w); err != nil {
				return err
			}
		}
	}
	for _, t := range tables {
		var owner string
		if err := tx.QueryRow(ctx, `SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass($1)`, ident(t.name)).Scan(&owner); err != nil {
			return fmt.Errorf("owner of %s: %w", t.name, err)
		}
		if owner == writer {
			continue // an older writer migrated as itself and owns the table
		}
		if err := exec("grant on "+t.name, `GRANT `+t.privileges+` ON TABLE `+ident(t.name)+` TO `+w); err != nil {
			return err
		}
	}
	return nil
}
