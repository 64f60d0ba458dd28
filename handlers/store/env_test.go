package store

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/handlers/envvar"
	"github.com/lambdabridge/lambdabridge/handlers/envvar/envvartest"
	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// TestMain clears the libpq variables the test process inherits from the shell: pgx would
// read them (and Open refuses the ones the settings do not pin).
func TestMain(m *testing.M) {
	if _, err := envvar.UnsetLibpq(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestConfigEnvRoundTrip: Env renders each Config as the variables listed (libpq's names for
// the connection), and ConfigFromEnv parses them back to the same Config, every optional
// field included.
func TestConfigEnvRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		env  map[string]string
	}{
		{name: "DATABASE_URL, records mode, writer-role setup",
			c: Config{URL: "postgres://w@db:5432/app?sslmode=disable", Auth: AuthPassword, RecordsKey: "id", RecordsTable: "app.orders",
				AdminUser: "lbadmin", AdminPassword: "hunter2"},
			env: map[string]string{"DATABASE_URL": "postgres://w@db:5432/app?sslmode=disable", "DB_AUTH": "password", "RECORDS_KEY": "id",
				"RECORDS_TABLE": "app.orders", "DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"}},
		{name: "PG* with password, every optional field",
			c: Config{Host: "db.example", Port: 6432, Name: "app", User: "w", Auth: AuthPassword, Password: "s3cr3t", SSLMode: "verify-ca",
				SSLRootCert: "/var/task/ca.pem", Region: "eu-west-1", RecordsKey: "sku", RecordsTable: "items"},
			env: map[string]string{"PGHOST": "db.example", "PGPORT": "6432", "PGDATABASE": "app", "PGUSER": "w", "DB_AUTH": "password",
				"PGPASSWORD": "s3cr3t", "PGSSLMODE": "verify-ca", "PGSSLROOTCERT": "/var/task/ca.pem", "AWS_REGION": "eu-west-1",
				"RECORDS_KEY": "sku", "RECORDS_TABLE": "items"}},
		{name: "PG* with IAM and the writer-role setup, as infra deploys it",
			c: Config{Host: "database-postgres.c1x2y3.us-east-1.rds.amazonaws.com", Port: 5432, Name: "lambdabridge", User: "writer",
				Auth: AuthIAM, SSLMode: "verify-full", RecordsTable: "records", AdminUser: "lbadmin", AdminPassword: "hunter2"},
			env: map[string]string{"PGHOST": "database-postgres.c1x2y3.us-east-1.rds.amazonaws.com", "PGPORT": "5432", "PGDATABASE": "lambdabridge",
				"PGUSER": "writer", "DB_AUTH": "iam", "PGSSLMODE": "verify-full", "RECORDS_TABLE": "records",
				"DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			envvartest.RoundTrip(t, tc.c, tc.env, Config.Env, ConfigFromEnv)
		})
	}
}

// TestConnectionComesFromConfig: libpq variables in the process environment (pgx reads them on
// its own) change nothing in the PG* form's connection: host, port, database, user, password
// and TLS are the Config's. A stray PGSSLROOTCERT naming no file would even fail the parse.
func TestConnectionComesFromConfig(t *testing.T) {
	for k, v := range map[string]string{"PGHOST": "192.0.2.1", "PGPORT": "1", "PGDATABASE": "lb_stray", "PGUSER": "stray",
		"PGPASSWORD": "stray-password", "PGSSLMODE": "disable", "PGSSLROOTCERT": "/nonexistent/root.crt"} {
		t.Setenv(k, v)
	}
	tests := []struct {
		name     string
		env      map[string]string
		password string // the parsed configuration's password (IAM: none until BeforeConnect)
	}{
		{"password", map[string]string{"PGHOST": "db.example", "PGDATABASE": "app", "PGUSER": "w", "PGPASSWORD": "s3cr3t"}, "s3cr3t"},
		{"iam", map[string]string{"PGHOST": "db.example", "PGDATABASE": "app", "PGUSER": "w", "DB_AUTH": "iam", "AWS_REGION": "us-east-1",
			"DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(envOf(tc.env))
			if err != nil {
				t.Fatal(err)
			}
			c.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "")
			pc, err := c.poolConfig()
			if err != nil {
				t.Fatal(err)
			}
			cc := pc.ConnConfig
			roots, _ := RDSRootCAs()
			if cc.Host != "db.example" || cc.Port != 5432 || cc.Database != "app" || cc.User != "w" || cc.Password != tc.password ||
				cc.TLSConfig == nil || !cc.TLSConfig.RootCAs.Equal(roots) || cc.TLSConfig.ServerName != "db.example" {
				t.Errorf("connection %s@%s:%d/%s (password %q), TLS %+v; want the Config's w@db.example:5432/app verified against the RDS bundle",
					cc.User, cc.Host, cc.Port, cc.Database, cc.Password, cc.TLSConfig)
			}
			if c.AdminUser == "" {
				return
			}
			ac, err := c.adminConnConfig()
			if err != nil {
				t.Fatal(err)
			}
			if ac.Host != "db.example" || ac.Port != 5432 || ac.Database != "app" || ac.User != "lbadmin" || ac.Password != "hunter2" {
				t.Errorf("admin connection %s@%s:%d/%s", ac.User, ac.Host, ac.Port, ac.Database)
			}
		})
	}
}

// TestConnectionComesFromConfigDatabase stores through the PG* form while the process
// environment points PGHOST, PGPORT, PGDATABASE and PGUSER elsewhere: the row lands in the
// Config's database.
func TestConnectionComesFromConfigDatabase(t *testing.T) {
	url := testdb.New(t)
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"PGHOST": "192.0.2.1", "PGPORT": "1", "PGDATABASE": "lb_stray", "PGUSER": "stray", "PGSSLMODE": "require"} {
		t.Setenv(k, v)
	}
	c := Config{Host: cc.Host, Port: int(cc.Port), Name: cc.Database, User: cc.User, Password: "unused-by-trust", SSLMode: "disable"}
	s, err := Open(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if _, err := s.Put(context.Background(), fetchOf(t, []byte(`{"a":1}`), t0)); err != nil {
		t.Fatal(err)
	}
	if n := count(t, adminConn(t, url), "fetches"); n != 1 {
		t.Fatalf("%d rows in %s, want 1", n, cc.Database)
	}
}

// TestOpenRefusesStrayLibpqVariables: a libpq variable the settings do not pin (in the PG*
// form, any beyond the seven; with DATABASE_URL, any) would change the connection behind the
// settings' back, so Open refuses it, naming it.
func TestOpenRefusesStrayLibpqVariables(t *testing.T) {
	pgForm := Config{Host: "db.example", User: "w", Password: "p"}
	urlForm := Config{URL: "postgres://w@db.example/app?sslmode=disable"}
	tests := []struct {
		name string
		c    Config
		env  map[string]string
		want string // "" = accepted
	}{
		{"PG* form, the seven pinned", pgForm, map[string]string{"PGHOST": "elsewhere", "PGDATABASE": "lb_stray", "PGSSLROOTCERT": "/nonexistent"}, ""},
		{"PG* form, PGOPTIONS", pgForm, map[string]string{"PGOPTIONS": "-c search_path=lb_stray"}, "sets PGOPTIONS, which pgx would read"},
		{"PG* form, two at once, sorted", pgForm, map[string]string{"PGSERVICE": "s", "PGAPPNAME": "a"}, "sets PGAPPNAME, PGSERVICE,"},
		{"DATABASE_URL, PGHOST", urlForm, map[string]string{"PGHOST": "elsewhere"}, "sets PGHOST, which pgx would read"},
		{"DATABASE_URL, empty PGDATABASE (pgx ignores it)", urlForm, map[string]string{"PGDATABASE": ""}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			s, err := Open(context.Background(), tc.c)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				s.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
