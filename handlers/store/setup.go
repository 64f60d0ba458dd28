package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// SetupKind is the "kind" of the database-setup event: the one-time work that needs the
// master credentials (the writer's role, its grants, the schema), which the deploy sends the
// writer (or relay) once, as a synchronous invocation whose payload carries the master
// password — so no function's configuration ever holds it.
const SetupKind = "lambdabridge.db-setup"

// SetupEvent is the payload of the database-setup invocation.
type SetupEvent struct {
	Kind          string `json:"kind"`
	AdminUser     string `json:"adminUser"`
	AdminPassword string `json:"adminPassword"`
}

// NewSetupEvent renders the setup event for the admin's credentials.
func NewSetupEvent(adminUser, adminPassword string) ([]byte, error) {
	b, err := json.Marshal(SetupEvent{Kind: SetupKind, AdminUser: adminUser, AdminPassword: adminPassword})
	if err != nil {
		return nil, fmt.Errorf("store: setup event: %w", err)
	}
	return b, nil
}

// ParseSetupEvent reads raw as a setup event. ok is false for any other payload (a data
// event); a payload of SetupKind that is incomplete is an error that never quotes it.
func ParseSetupEvent(raw []byte) (ev SetupEvent, ok bool, err error) {
	if !bytes.Contains(raw, []byte(SetupKind)) {
		return SetupEvent{}, false, nil
	}
	if json.Unmarshal(raw, &ev) != nil || ev.Kind != SetupKind {
		return SetupEvent{}, false, nil
	}
	if ev.AdminUser == "" || ev.AdminPassword == "" {
		return SetupEvent{}, true, errors.New("store: setup event: adminUser and adminPassword are required")
	}
	return ev, true, nil
}

// setupChecks and setupCheckWait bound Setup's check that the writer can log in: 3 tries,
// 2 seconds apart, inside the writer's 30-second timeout.
const (
	setupChecks    = 3
	setupCheckWait = 2 * time.Second
)

// SetupResult is what Setup did.
type SetupResult struct {
	// Writer is the role the functions store as; SchemaVersion the schema it left.
	Writer        string `json:"writer"`
	SchemaVersion int    `json:"schemaVersion"`
}

// Setup runs the writer-role setup as the admin (see provisionWriter: role, grants, schema,
// idempotently), then connects as the writer the way every invocation does (IAM on RDS) and
// checks the schema is current, so a deploy fails here rather than at the first scheduled run.
// The admin's credentials are used for this one connection and kept nowhere.
func (s *Store) Setup(ctx context.Context, adminUser, adminPassword string) (SetupResult, error) {
	cfg := s.cfg
	cfg.AdminUser, cfg.AdminPassword = adminUser, adminPassword
	if err := cfg.checkAdmin(mustWriter(cfg)); err != nil {
		return SetupResult{}, err
	}
	if err := provisionWriter(ctx, cfg); err != nil {
		return SetupResult{}, err
	}
	s.mu.Lock()
	s.roleReady, s.migrated = true, false
	s.mu.Unlock()
	// IAM is eventually consistent: a role policy created moments ago (first deploy) may not
	// let the writer's token in at once, so the check is tried a few times.
	var err error
	for attempt := 1; attempt <= setupChecks; attempt++ {
		if err = s.Ensure(ctx); err == nil {
			break
		}
		if attempt < setupChecks {
			select {
			case <-ctx.Done():
				return SetupResult{}, fmt.Errorf("store: setup done, but the writer cannot use it: %w", err)
			case <-time.After(setupCheckWait):
			}
		}
	}
	if err != nil {
		return SetupResult{}, fmt.Errorf("store: setup done, but the writer cannot use it: %w", err)
	}
	writer, _ := cfg.writerUser()
	return SetupResult{Writer: writer, SchemaVersion: SchemaVersion}, nil
}

// mustWriter is the writer's user, "" when the URL does not parse (Open refused it already).
func mustWriter(c Config) string {
	w, _ := c.writerUser()
	return w
}
