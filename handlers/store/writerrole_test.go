package store

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// adminPassword stands in for the master password: the test server trusts local
// connections, so it is sent but not checked; the tests check it never surfaces.
const adminPassword = "Hunter2-master-secret"

func writerRoleConfig(writerURL, iamRole string, records bool) func(*Config) {
	return func(c *Config) {
		c.URL, c.AdminUser, c.AdminPassword, c.iamRole = writerURL, "postgres", adminPassword, iamRole
		if records {
			c.RecordsKey, c.RecordsTable = "id", "items"
		}
	}
}

func TestWriterRoleFreshDatabase(t *testing.T) {
	for _, tc := range []struct {
		name        string
		iamExists   bool // the "rds_iam" stand-in exists, as on RDS
		records     bool
		preexisting bool // the writer's role exists already (made by hand), without grants
	}{
		{name: "plain PostgreSQL (no rds_iam)"},
		{name: "RDS-like (rds_iam exists)", iamExists: true},
		{name: "records mode", iamExists: true, records: true},
		{name: "role made by hand before", preexisting: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dbURL := testdb.New(t)
			db := adminConn(t, dbURL)
			writer := testdb.Role(t, dbURL, "lbw_")
			iam := testdb.Role(t, dbURL, "lbiam_")
			if tc.iamExists {
				if _, err := db.Exec(ctx, `CREATE ROLE `+iam+` NOLOGIN`); err != nil {
					t.Fatal(err)
				}
			}
			if tc.preexisting {
				if _, err := db.Exec(ctx, `CREATE ROLE `+writer+` LOGIN`); err != nil {
					t.Fatal(err)
				}
			}
			s := openStore(t, testdb.AsUser(t, dbURL, writer), writerRoleConfig(testdb.AsUser(t, dbURL, writer), iam, tc.records))
			if err := s.Ensure(ctx); err != nil {
				t.Fatal(err)
			}
			// The writer stores as its own role: one row, then a redelivery finds it.
			raw := []byte(`[{"id":1,"v":"a"},{"id":2,"v":"b"}]`)
			for i, wantNew := range []bool{true, false} {
				res, err := s.Put(ctx, fetchOf(t, raw, t0))
				if err != nil {
					t.Fatalf("put %d as %s: %v", i, writer, err)
				}
				if res.New != wantNew {
					t.Errorf("put %d new %v, want %v", i, res.New, wantNew)
				}
				if tc.records && wantNew && res.Upserted != 2 {
					t.Errorf("upserted %d records, want 2", res.Upserted)
				}
			}
			if n := count(t, db, "fetches"); n != 1 {
				t.Errorf("%d fetches rows, want 1", n)
			}
			var login, member, createSchema, updateFetches, deleteFetches bool
			var owner, storedAs string
			if err := db.QueryRow(ctx, `SELECT rolcanlogin,
					EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE m.member = pg_roles.oid AND r.rolname = $2),
					has_schema_privilege($1, 'public', 'CREATE'),
					has_table_privilege($1, 'fetches', 'UPDATE'), has_table_privilege($1, 'fetches', 'DELETE'),
					(SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'fetches'::regclass)
				FROM pg_roles WHERE rolname = $1`, writer, iam).Scan(&login, &member, &createSchema, &updateFetches, &deleteFetches, &owner); err != nil {
				t.Fatal(err)
			}
			if !login || member != tc.iamExists || createSchema || updateFetches || deleteFetches || owner != "postgres" {
				t.Errorf("writer role: login %v, member of %s %v (want %v), CREATE on public %v, UPDATE/DELETE on fetches %v/%v, fetches owned by %s (want postgres)",
					login, iam, member, tc.iamExists, createSchema, updateFetches, deleteFetches, owner)
			}
			// The row was written over the writer's own connection, not the admin's.
			if err := db.QueryRow(ctx, `SELECT usename FROM pg_stat_activity WHERE datname = current_database() AND usename = $1 LIMIT 1`, writer).Scan(&storedAs); err != nil || storedAs != writer {
				t.Errorf("no open connection as %s (%q, %v)", writer, storedAs, err)
			}
			// The admin connection is closed (a backend exits shortly after its client
			// hangs up, so look a few times).
			adminConns := -1
			for try := 0; try < 50 && adminConns != 0; try++ {
				if try > 0 {
					time.Sleep(20 * time.Millisecond)
				}
				if err := db.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND usename = 'postgres' AND pid <> pg_backend_pid()`).Scan(&adminConns); err != nil {
					t.Fatal(err)
				}
			}
			if adminConns != 0 {
				t.Errorf("%d admin connections left open after the writer-role setup, want 0", adminConns)
			}
		})
	}
}

// TestWriterRoleConcurrentColdStarts starts several writers at once, then again (a second
// wave of cold starts): every setup succeeds, the role and each migration exist once.
func TestWriterRoleConcurrentColdStarts(t *testing.T) {
	ctx := context.Background()
	dbURL := testdb.New(t)
	db := adminConn(t, dbURL)
	writer := testdb.Role(t, dbURL, "lbw_")
	iam := testdb.Role(t, dbURL, "lbiam_")
	if _, err := db.Exec(ctx, `CREATE ROLE `+iam+` NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	wURL := testdb.AsUser(t, dbURL, writer)
	const starts = 6
	for wave := 0; wave < 2; wave++ {
		var wg sync.WaitGroup
		errs := make([]error, starts)
		for i := 0; i < starts; i++ {
			s := openStore(t, wURL, writerRoleConfig(wURL, iam, true))
			wg.Add(1)
			go func() {
				defer wg.Done()
				if errs[i] = s.Ensure(ctx); errs[i] == nil {
					_, errs[i] = s.Put(ctx, fetchOf(t, []byte(`[{"id":"k"}]`), t0.Add(time.Duration(wave)*time.Minute)))
				}
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("wave %d start %d: %v", wave, i, err)
			}
		}
	}
	var roles, versions, grants int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM pg_roles WHERE rolname = $1),
		(SELECT count(*) FROM schema_version),
		(SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid WHERE r.rolname = $2)`, writer, iam).Scan(&roles, &versions, &grants); err != nil {
		t.Fatal(err)
	}
	// One role, one rds_iam membership, SchemaVersion migration rows; two waves of fetches
	// at t0 and t0+1m, each stored six times: 2 rows.
	if roles != 1 || versions != SchemaVersion || grants != 1 {
		t.Errorf("roles %d, schema_version rows %d (want %d), %s members %d", roles, versions, SchemaVersion, iam, grants)
	}
	if n := count(t, db, "fetches"); n != 2 {
		t.Errorf("%d fetches rows, want 2", n)
	}
}

// TestWriterRoleOverTablesAnOlderWriterOwns: a stack set up the old way (the writer made by
// hand with CREATE on public, migrating as itself) keeps working once the writer-role setup runs.
func TestWriterRoleOverTablesAnOlderWriterOwns(t *testing.T) {
	ctx := context.Background()
	dbURL := testdb.New(t)
	db := adminConn(t, dbURL)
	writer := testdb.Role(t, dbURL, "lbw_")
	if _, err := db.Exec(ctx, `CREATE ROLE `+writer+` LOGIN; GRANT CREATE ON SCHEMA public TO `+writer); err != nil {
		t.Fatal(err)
	}
	wURL := testdb.AsUser(t, dbURL, writer)
	old := openStore(t, wURL, func(c *Config) { c.RecordsKey, c.RecordsTable = "id", "items" })
	if _, err := old.Put(ctx, fetchOf(t, []byte(`[{"id":1}]`), t0)); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, wURL, writerRoleConfig(wURL, "lbiam_absent", true))
	if _, err := s.Put(ctx, fetchOf(t, []byte(`[{"id":1},{"id":2}]`), t0.Add(time.Minute))); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "items"); n != 2 {
		t.Errorf("%d records, want 2", n)
	}
}

// TestWriterRoleFailureKeepsThePasswordSecret: a writer-role setup that cannot log in names the
// admin user and the cause, never the password, and the store refuses to write.
func TestWriterRoleFailureKeepsThePasswordSecret(t *testing.T) {
	dbURL := testdb.New(t)
	writer := testdb.Role(t, dbURL, "lbw_")
	wURL := testdb.AsUser(t, dbURL, writer)
	s := openStore(t, wURL, func(c *Config) {
		writerRoleConfig(wURL, "rds_iam", false)(c)
		c.AdminUser = "lbnoadmin_" + writer[4:]
	})
	_, err := s.Put(context.Background(), fetchOf(t, []byte(`{}`), t0))
	if err == nil {
		t.Fatal("put succeeded although the writer-role setup could not log in")
	}
	if !strings.Contains(err.Error(), "writer role setup") || !strings.Contains(err.Error(), "lbnoadmin_") {
		t.Errorf("error %q does not say the writer-role setup failed and as whom", err)
	}
	if strings.Contains(err.Error(), adminPassword) {
		t.Errorf("error leaks the admin password: %v", err)
	}
}

// TestWithoutWriterRoleTheWriterCannotLogIn is the control for the tests above: the same
// writer URL without DB_ADMIN_* fails, because nothing created the role.
func TestWithoutWriterRoleTheWriterCannotLogIn(t *testing.T) {
	dbURL := testdb.New(t)
	writer := testdb.Role(t, dbURL, "lbw_")
	s := openStore(t, testdb.AsUser(t, dbURL, writer), nil)
	if err := s.Ensure(context.Background()); err == nil || !strings.Contains(err.Error(), writer) {
		t.Errorf("Ensure as a role that does not exist: %v, want an error naming %s", err, writer)
	}
}
