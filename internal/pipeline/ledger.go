package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
)

// Identity is what the store keeps one row of: a scheduled run (source, scheduled time), or a
// fetch started by hand (source, fetched_at, sha256). Times are truncated to PostgreSQL's
// microseconds.
type Identity struct {
	Source string
	// ScheduledAt is the scheduled run's time; zero for a run started by hand.
	ScheduledAt time.Time
	// FetchedAt and SHA256 identify a run started by hand; zero for a scheduled run.
	FetchedAt time.Time
	SHA256    string
}

// identity is the identity of a fetch started by hand, as the ledger compares it. The source
// is taken without its query string (source.SafeURL), because that is all a relay's answer
// (writer.Stored) names, while rows and envelopes hold the URL as configured.
func identity(src string, at time.Time, sha string) Identity {
	return Identity{Source: source.SafeURL(src), FetchedAt: at.UTC().Truncate(time.Microsecond), SHA256: sha}
}

// identityOf is the identity the store keys a fetch on: its scheduled run when it has one.
func identityOf(src string, scheduled *time.Time, at time.Time, sha string) Identity {
	if scheduled != nil {
		return Identity{Source: source.SafeURL(src), ScheduledAt: scheduled.UTC().Truncate(time.Microsecond)}
	}
	return identity(src, at, sha)
}

// Ledger records every fetch handed to the writer (a destination record entering the
// writer's queue, an S3 notification of a handoff object) and every fetch a relay stored, by
// the identity the store keys on. After the pipeline settles, the database must hold exactly
// these, once each.
type Ledger struct {
	mu         sync.Mutex
	seen       map[Identity]int
	order      []Identity
	deliveries int
}

func newLedger() *Ledger { return &Ledger{seen: map[Identity]int{}} }

func (l *Ledger) add(id Identity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deliveries++
	if l.seen[id] == 0 {
		l.order = append(l.order, id)
	}
	l.seen[id]++
}

// handoff notes the fetch carried by a writer event: a destination record (envelope or
// pointer inside), or an S3 notification (the object is read, as the writer will).
func (l *Ledger) handoff(ctx context.Context, payload []byte, s3c *s3.Client) error {
	d, err := event.Route(payload)
	if err != nil {
		return fmt.Errorf("handoff not understood: %w", err)
	}
	switch {
	case d.Envelope != nil:
		l.add(identityOf(d.Envelope.Source, d.Envelope.ScheduledAt, d.Envelope.FetchedAt, d.Envelope.SHA256))
	case d.Pointer != nil:
		l.add(identityOf(d.Pointer.Source, d.Pointer.ScheduledAt, d.Pointer.FetchedAt, d.Pointer.SHA256))
	default:
		if s3c == nil {
			return fmt.Errorf("S3 notification but no S3 server")
		}
		st := &blob.Store{Client: s3c, Bucket: Bucket}
		for _, o := range d.Objects {
			e, err := st.GetKey(ctx, o.Bucket, o.Key)
			if err != nil {
				return fmt.Errorf("read s3://%s/%s: %w", o.Bucket, o.Key, err)
			}
			l.add(identityOf(e.Source, e.ScheduledAt, e.FetchedAt, e.SHA256))
		}
	}
	return nil
}

// relayed notes the fetch a relay invocation stored (its response, writer.Stored).
func (l *Ledger) relayed(resp []byte) {
	var s writer.Stored
	if json.Unmarshal(resp, &s) == nil && s.SHA256 != "" {
		l.add(identityOf(s.Source, s.ScheduledAt, s.FetchedAt, s.SHA256))
	}
}

// Expected returns the distinct runs (or hand-started fetches) handed to the writer, in
// order of first handoff.
func (l *Ledger) Expected() []Identity {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]Identity(nil), l.order...)
}

// Deliveries counts handoffs, duplicates included.
func (l *Ledger) Deliveries() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.deliveries
}

// Rows reads the identities of every row of the fetches table (none when the writer never
// created it).
func Rows(ctx context.Context, databaseURL string) ([]Identity, error) {
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("rows: connect: %w", err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT source, fetched_at, sha256, scheduled_at FROM fetches ORDER BY id`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table: the writer never ran
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rows: %w", err)
	}
	var out []Identity
	for rows.Next() {
		var src, sha string
		var at time.Time
		var scheduled *time.Time
		if err := rows.Scan(&src, &at, &sha, &scheduled); err != nil {
			return nil, fmt.Errorf("rows: scan: %w", err)
		}
		out = append(out, identityOf(src, scheduled, at, sha))
	}
	return out, rows.Err()
}

// Audit compares what was handed off with what is stored.
type Audit struct {
	Expected   int        // distinct runs (or hand-started fetches) handed to the writer
	Rows       int        // rows in fetches
	Lost       []Identity // handed off, not stored
	Unexpected []Identity // stored, never handed off
	Duplicated int        // rows beyond one per identity
}

// OK is true when every fetch handed off is stored exactly once and nothing else is.
func (a Audit) OK() bool { return len(a.Lost) == 0 && len(a.Unexpected) == 0 && a.Duplicated == 0 }

// String summarises the audit.
func (a Audit) String() string {
	return fmt.Sprintf("expected %d distinct runs, %d rows: %d lost, %d unexpected, %d duplicated", a.Expected, a.Rows, len(a.Lost), len(a.Unexpected), a.Duplicated)
}

// Compare audits rows against expected.
func Compare(expected, rows []Identity) Audit {
	a := Audit{Expected: len(expected), Rows: len(rows)}
	stored := map[Identity]int{}
	for _, r := range rows {
		stored[r]++
		if stored[r] > 1 {
			a.Duplicated++
		}
	}
	want := map[Identity]bool{}
	for _, e := range expected {
		want[e] = true
		if stored[e] == 0 {
			a.Lost = append(a.Lost, e)
		}
	}
	for r := range stored {
		if !want[r] {
			a.Unexpected = append(a.Unexpected, r)
		}
	}
	sort.Slice(a.Unexpected, func(i, j int) bool { return a.Unexpected[i].FetchedAt.Before(a.Unexpected[j].FetchedAt) })
	return a
}

// RunAudit compares the runs the schedule fired with the rows stored: every scheduled run
// must end as exactly one row.
type RunAudit struct {
	Fired      int         // distinct scheduled runs fired
	Stored     int         // of them, stored
	Missing    []time.Time // fired, not stored
	Duplicated int         // rows beyond one per scheduled run
}

// OK is true when every run fired is stored exactly once.
func (a RunAudit) OK() bool { return len(a.Missing) == 0 && a.Duplicated == 0 }

// String summarises the audit.
func (a RunAudit) String() string {
	return fmt.Sprintf("%d scheduled runs fired, %d stored: %d lost, %d duplicated", a.Fired, a.Stored, len(a.Missing), a.Duplicated)
}

// AuditRuns checks that each scheduled time in fired is one row of rows (rows started by hand
// are not runs and are ignored).
func AuditRuns(fired []time.Time, rows []Identity) RunAudit {
	perRun := map[time.Time]int{}
	for _, r := range rows {
		if !r.ScheduledAt.IsZero() {
			perRun[r.ScheduledAt]++
		}
	}
	var a RunAudit
	seen := map[time.Time]bool{}
	for _, at := range fired {
		at = at.UTC().Truncate(time.Microsecond)
		if seen[at] {
			continue
		}
		seen[at] = true
		a.Fired++
		if n := perRun[at]; n > 0 {
			a.Stored++
			a.Duplicated += n - 1
		} else {
			a.Missing = append(a.Missing, at)
		}
	}
	return a
}
