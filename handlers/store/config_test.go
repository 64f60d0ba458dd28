package store

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		conn    string // want connString()
		check   func(t *testing.T, c Config)
		wantErr []string
	}{
		{name: "DATABASE_URL", env: map[string]string{"DATABASE_URL": "postgres://u@h:5/d?sslmode=disable"},
			conn: "postgres://u@h:5/d?sslmode=disable",
			check: func(t *testing.T, c Config) {
				if c.Auth != AuthPassword || c.RecordsTable != "" {
					t.Errorf("auth %q table %q", c.Auth, c.RecordsTable)
				}
			}},
		{name: "PG* with password, defaults", env: map[string]string{"PGHOST": "db.x.rds.amazonaws.com", "PGUSER": "writer", "PGPASSWORD": "s3cr3t"},
			conn: "postgres://writer@db.x.rds.amazonaws.com:5432/postgres?sslmode=verify-full&sslrootcert="},
		{name: "PG* with CA bundle → verify-full", env: map[string]string{"PGHOST": "h", "PGPORT": "6432", "PGDATABASE": "app", "PGUSER": "w",
			"DB_AUTH": "iam", "PGSSLROOTCERT": "/var/task/rds-ca.pem"},
			conn: "postgres://w@h:6432/app?sslmode=verify-full&sslrootcert=%2Fvar%2Ftask%2Frds-ca.pem"},
		{name: "records mode default table", env: map[string]string{"DATABASE_URL": "postgres://u@h/d", "RECORDS_KEY": "id"},
			check: func(t *testing.T, c Config) {
				if c.RecordsKey != "id" || c.RecordsTable != DefaultRecordsTable {
					t.Errorf("records %q/%q", c.RecordsKey, c.RecordsTable)
				}
			}},
		{name: "records table with schema", env: map[string]string{"DATABASE_URL": "postgres://u@h/d", "RECORDS_KEY": "id", "RECORDS_TABLE": "app.orders"}},
		{name: "nothing set", env: map[string]string{}, wantErr: []string{"neither DATABASE_URL nor PGHOST"}},
		{name: "no user", env: map[string]string{"PGHOST": "h", "PGPASSWORD": "p"}, wantErr: []string{"PGUSER"}},
		{name: "bad port", env: map[string]string{"PGHOST": "h", "PGUSER": "u", "PGPORT": "99999"}, wantErr: []string{`PGPORT="99999": want a port number, 1 to 65535`}},
		{name: "bad auth", env: map[string]string{"PGHOST": "h", "PGUSER": "u", "DB_AUTH": "kerberos"}, wantErr: []string{`DB_AUTH "kerberos"`, "iam", "password"}},
		{name: "password mode without password", env: map[string]string{"PGHOST": "h", "PGUSER": "u"}, wantErr: []string{"PGPASSWORD"}},
		{name: "bad sslmode", env: map[string]string{"PGHOST": "h", "PGUSER": "u", "PGPASSWORD": "p", "PGSSLMODE": "on"}, wantErr: []string{`PGSSLMODE "on"`}},
		{name: "require still allowed", env: map[string]string{"PGHOST": "h", "PGUSER": "u", "PGPASSWORD": "p", "PGSSLMODE": "require"},
			conn: "postgres://u@h:5432/postgres?sslmode=require&sslrootcert="},
		{name: "iam without TLS", env: map[string]string{"PGHOST": "h", "PGUSER": "u", "DB_AUTH": "iam", "PGSSLMODE": "disable"},
			wantErr: []string{"DB_AUTH=iam needs TLS"}},
		{name: "bad records table", env: map[string]string{"DATABASE_URL": "postgres://u@h/d", "RECORDS_KEY": "id", "RECORDS_TABLE": "x; DROP TABLE fetches"},
			wantErr: []string{"RECORDS_TABLE"}},
		{name: "writer-role setup with PG*", env: map[string]string{"PGHOST": "h", "PGUSER": "writer", "DB_AUTH": "iam",
			"DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"},
			conn: "postgres://writer@h:5432/postgres?sslmode=verify-full&sslrootcert=",
			check: func(t *testing.T, c Config) {
				if c.AdminUser != "lbadmin" || c.AdminPassword != "hunter2" || c.writerIAMRole() != "rds_iam" {
					t.Errorf("admin %q/%q iam role %q", c.AdminUser, c.AdminPassword, c.writerIAMRole())
				}
				// The admin connection: same place and TLS, the admin's user and password.
				cc, err := c.adminConnConfig()
				if err != nil {
					t.Fatal(err)
				}
				if cc.User != "lbadmin" || cc.Password != "hunter2" || cc.Host != "h" || cc.Database != "postgres" ||
					cc.TLSConfig == nil || cc.TLSConfig.RootCAs == nil || cc.TLSConfig.ServerName != "h" {
					t.Errorf("admin conn user %q host %q db %q tls %+v", cc.User, cc.Host, cc.Database, cc.TLSConfig)
				}
			}},
		{name: "admin user without password", env: map[string]string{"PGHOST": "h", "PGUSER": "writer", "DB_AUTH": "iam", "DB_ADMIN_USER": "lbadmin"},
			wantErr: []string{"DB_ADMIN_USER and DB_ADMIN_PASSWORD"}},
		{name: "admin password without user", env: map[string]string{"DATABASE_URL": "postgres://u@h/d", "DB_ADMIN_PASSWORD": "hunter2"},
			wantErr: []string{"DB_ADMIN_USER and DB_ADMIN_PASSWORD"}},
		{name: "admin is the writer", env: map[string]string{"PGHOST": "h", "PGUSER": "lbadmin", "DB_AUTH": "iam", "DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"},
			wantErr: []string{`DB_ADMIN_USER "lbadmin" is the writer's own user`}},
		{name: "admin is the URL's user", env: map[string]string{"DATABASE_URL": "postgres://lbadmin@h/d", "DB_ADMIN_USER": "lbadmin", "DB_ADMIN_PASSWORD": "hunter2"},
			wantErr: []string{`DB_ADMIN_USER "lbadmin"`}},
		{name: "DATABASE_URL and PG* both", env: map[string]string{"DATABASE_URL": "postgres://u@h/d", "PGHOST": "h2", "PGPASSWORD": "hunter2"},
			wantErr: []string{"DATABASE_URL and PGHOST, PGPASSWORD are both set", "as DATABASE_URL or as the PG* variables"}},
		{name: "bad URL does not echo password", env: map[string]string{"DATABASE_URL": "postgres://u:hunter2@h:port/d"},
			wantErr: []string{"DATABASE_URL does not parse"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ConfigFromEnv(envOf(tc.env))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("want an error, got %+v", c)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				if strings.Contains(err.Error(), "hunter2") {
					t.Errorf("error leaks the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.conn != "" && c.connString() != tc.conn {
				t.Errorf("connString %q, want %q", c.connString(), tc.conn)
			}
			if strings.Contains(c.connString(), "s3cr3t") {
				t.Errorf("connection string carries the password: %s", c.connString())
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// TestIAMTokenShape runs the BeforeConnect hook with static credentials (no network) and checks
// the token is an RDS connect URL presigned with SigV4 for 15 minutes.
func TestIAMTokenShape(t *testing.T) {
	c, err := ConfigFromEnv(envOf(map[string]string{"PGHOST": "lb.cluster-abc.us-east-1.rds.amazonaws.com", "PGUSER": "writer", "DB_AUTH": "iam", "AWS_REGION": "us-east-1"}))
	if err != nil {
		t.Fatal(err)
	}
	c.Credentials = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")
	pc, err := c.poolConfig()
	if err != nil {
		t.Fatal(err)
	}
	if pc.BeforeConnect == nil || pc.MaxConns != 1 {
		t.Fatalf("BeforeConnect set = %v, MaxConns %d", pc.BeforeConnect != nil, pc.MaxConns)
	}
	cc := pc.ConnConfig.Copy()
	before := time.Now().UTC()
	if err := pc.BeforeConnect(context.Background(), cc); err != nil {
		t.Fatal(err)
	}
	tok := cc.Password
	prefix := "lb.cluster-abc.us-east-1.rds.amazonaws.com:5432/?"
	if !strings.HasPrefix(tok, prefix) {
		t.Fatalf("token %q does not start with %q", tok, prefix)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(tok, prefix))
	if err != nil {
		t.Fatal(err)
	}
	day := before.Format("20060102")
	want := map[string]string{
		"Action": "connect", "DBUser": "writer", "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
		"X-Amz-Credential":    "AKIDEXAMPLE/" + day + "/us-east-1/rds-db/aws4_request",
		"X-Amz-Expires":       "900", // 15 minutes
		"X-Amz-SignedHeaders": "host",
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("token %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(q.Get("X-Amz-Signature")) {
		t.Errorf("X-Amz-Signature %q is not 64 hex digits", q.Get("X-Amz-Signature"))
	}
	if strings.Contains(tok, "wJalrXUtnFEMI") {
		t.Error("token contains the secret key")
	}
	// Without credentials IAM mode is refused at Open time.
	c.Credentials = nil
	if _, err := c.poolConfig(); err == nil || !strings.Contains(err.Error(), "no AWS credentials") {
		t.Errorf("poolConfig without credentials: %v", err)
	}
}

func TestWithPathSlash(t *testing.T) {
	const ep = "h.rds.amazonaws.com:5432"
	tests := []struct{ in, want string }{
		{ep + "?Action=connect&X=1", ep + "/?Action=connect&X=1"},  // SDK v1.7.11 shape
		{ep + "/?Action=connect&X=1", ep + "/?Action=connect&X=1"}, // already fixed upstream: unchanged
		{"other:1?Action=connect", "other:1?Action=connect"},       // not this endpoint: unchanged
	}
	for _, tc := range tests {
		if got := withPathSlash(tc.in, ep); got != tc.want {
			t.Errorf("withPathSlash(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
