package store

import (
	"context"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/internal/testdb"
)

// TestSetupEvent: the deploy's setup event is told from data events, and an incomplete one
// is refused without quoting it.
func TestSetupEvent(t *testing.T) {
	good, err := NewSetupEvent("lbadmin", adminPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		raw     string
		ok, bad bool
	}{
		{"the setup event", string(good), true, false},
		{"no password", `{"kind":"lambdabridge.db-setup","adminUser":"lbadmin"}`, true, true},
		{"a destination record", `{"version":"1.0","requestContext":{},"responsePayload":{}}`, false, false},
		{"a scheduled event", `{"source":"lambdabridge.schedule","scheduledTime":"2026-11-25T10:00:00Z"}`, false, false},
		{"another kind naming it in a value", `{"kind":"s3-pointer","key":"lambdabridge.db-setup"}`, false, false},
	} {
		ev, ok, err := ParseSetupEvent([]byte(tc.raw))
		if ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("%s: ok %v err %v, want ok %v error %v", tc.name, ok, err, tc.ok, tc.bad)
		}
		if err != nil && strings.Contains(err.Error(), "lbadmin") {
			t.Errorf("%s: the error quotes the event: %v", tc.name, err)
		}
		if tc.ok && !tc.bad && (ev.AdminUser != "lbadmin" || ev.AdminPassword != adminPassword) {
			t.Errorf("%s: %+v", tc.name, ev)
		}
	}
}

// TestSetupOnce: the writer's configuration holds no admin credentials; the setup invocation
// brings them, creates the writer's role, grants and schema, and checks the writer can store;
// run again (a redeploy) it changes nothing and succeeds. Without it the writer cannot start.
func TestSetupOnce(t *testing.T) {
	ctx := context.Background()
	dbURL := testdb.New(t)
	writer := testdb.Role(t, dbURL, "lbw_")
	iam := testdb.Role(t, dbURL, "lbiam_")
	db := adminConn(t, dbURL)
	if _, err := db.Exec(ctx, `CREATE ROLE `+iam+` NOLOGIN`); err != nil {
		t.Fatal(err)
	}
	writerURL := testdb.AsUser(t, dbURL, writer)
	s := openStore(t, writerURL, func(c *Config) { c.iamRole = iam })
	if s.cfg.AdminUser != "" || s.cfg.AdminPassword != "" {
		t.Fatal("the store's own configuration holds admin credentials")
	}
	if err := s.Ensure(ctx); err == nil {
		t.Fatal("the writer's role does not exist yet: Ensure must fail before the setup")
	}
	for i := 0; i < 2; i++ {
		res, err := s.Setup(ctx, "postgres", adminPassword)
		if err != nil {
			t.Fatalf("setup %d: %v", i+1, err)
		}
		if res.Writer != writer || res.SchemaVersion != SchemaVersion {
			t.Errorf("setup %d: %+v, want writer %s, schema %d", i+1, res, writer, SchemaVersion)
		}
	}
	if _, err := s.Put(ctx, fetchOf(t, []byte(`{"n":1}`), t0)); err != nil {
		t.Fatalf("put after setup: %v", err)
	}
	if _, err := s.Setup(ctx, writer, adminPassword); err == nil || strings.Contains(err.Error(), adminPassword) {
		t.Errorf("setup as the writer itself: %v, want a refusal that does not quote the password", err)
	}
}
